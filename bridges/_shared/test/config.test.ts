import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadYamlConfig } from '../src/config.js';

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['server'],
  properties: {
    server: { type: 'object', required: ['port'], properties: { port: { type: 'integer' }, host: { type: 'string', default: '127.0.0.1' } } },
    links: { type: 'array', items: { type: 'object', required: ['room_id'], properties: { room_id: { type: 'string' } } } },
  },
};

describe('bridge config loading', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridge-config-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function load(name: string, text: string): Promise<unknown> {
    await writeFile(join(dir, name), text);
    return loadYamlConfig(join(dir, name), SCHEMA);
  }

  it('fills defaults from the schema', async () => {
    assert.deepEqual(await load('ok.yaml', 'server: { port: 1 }\n'), { server: { port: 1, host: '127.0.0.1' } });
  });

  it('names the file and the field that is wrong', async () => {
    await assert.rejects(load('a.yaml', 'server: { port: "x" }\n'), (e: Error) => e instanceof ConfigError && /a\.yaml: server\.port must be integer/.test(e.message));
    await assert.rejects(load('b.yaml', 'server: { port: 1 }\nlinks: [{}]\n'), /b\.yaml: links\[0\]\.room_id is required/);
    await assert.rejects(load('c.yaml', 'server: { port: 1 }\nsevrer: 2\n'), /c\.yaml: sevrer is not a known setting/);
    await assert.rejects(load('d.yaml', 'server: [\n'), /d\.yaml: not valid YAML/);
    assert.throws(() => loadYamlConfig(join(dir, 'missing.yaml'), SCHEMA), /missing\.yaml: cannot read config/);
  });
});
