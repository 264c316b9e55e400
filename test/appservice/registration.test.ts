import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadRegistrations, registrationFilesIn, RegistrationError } from '../../src/appservice/index.js';
import { AppserviceRegistry } from '../../src/appservice/index.js';

const base = (id: string, extra = '') =>
  `id: ${id}\nurl: http://127.0.0.1:9999\nas_token: as-${id}\nhs_token: hs-${id}\nsender_localpart: ${id}bot\nnamespaces:\n  users:\n    - regex: "@_${id}_.*"\n      exclusive: true\n${extra}`;

describe('appservice registrations', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-reg-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  const file = async (name: string, text: string) => {
    const p = join(dir, name);
    await writeFile(p, text);
    return p;
  };

  it('loads a registration with defaults and the MSC2409 ephemeral flag', async () => {
    const p = await file('a.yaml', base('a', 'de.sorunome.msc2409.push_ephemeral: true\n'));
    const [r] = loadRegistrations([p]);
    assert.equal(r?.id, 'a');
    assert.equal(r?.rateLimited, true);
    assert.equal(r?.receiveEphemeral, true);
    assert.deepEqual(r?.namespaces.users, [{ regex: '@_a_.*', exclusive: true }]);
  });

  it('a missing or mistyped field is refused naming the file and the field', async () => {
    const p = await file('bad.yaml', 'id: bad\nurl: http://x\nhs_token: h\nsender_localpart: b\nnamespaces: {}\n');
    assert.throws(() => loadRegistrations([p]), (e: Error) => e instanceof RegistrationError && e.message.includes('bad.yaml') && e.message.includes('as_token'));
    const q = await file('bad2.yaml', base('b2').replace('exclusive: true', 'exclusive: "yes"'));
    assert.throws(() => loadRegistrations([q]), (e: Error) => e.message.includes('bad2.yaml') && e.message.includes('namespaces.users[0].exclusive'));
    const r = await file('bad3.yaml', base('b3').replace('"@_b3_.*"', '"@_b3_(.*"'));
    assert.throws(() => loadRegistrations([r]), (e: Error) => e.message.includes('namespaces.users[0].regex'));
  });

  it('duplicate tokens and clashing exclusive namespaces are refused', async () => {
    const a = await file('c1.yaml', base('c'));
    const b = await file('c2.yaml', base('c').replace('id: c', 'id: c2').replace('as_token: as-c', 'as_token: other').replace('hs_token: hs-c', 'hs_token: other2'));
    assert.throws(() => loadRegistrations([a, b]), /exclusive regex/);
    const d = await file('d.yaml', base('d').replace('as_token: as-d', 'as_token: as-c'));
    assert.throws(() => loadRegistrations([a, d]), /as_token is already used/);
  });

  it('registrationFilesIn lists yaml files in order and nothing for a missing directory', async () => {
    assert.deepEqual(registrationFilesIn(join(dir, 'nope')), []);
    assert.ok(registrationFilesIn(dir).every((f) => /\.ya?ml$/.test(f)));
  });

  it('namespaces match from the start of the id, like Synapse', async () => {
    const p = await file('e.yaml', base('e'));
    const reg = new AppserviceRegistry(loadRegistrations([p]), 'localhost');
    const e = reg.findById('e');
    assert.ok(e?.isUserInNamespace('@_e_bob:localhost'));
    assert.ok(!e?.isUserInNamespace('@x@_e_bob:localhost'));
    assert.ok(e?.isInterestedInUser('@ebot:localhost'));
    assert.equal(reg.exclusiveOwnerOfUser('@_e_z:localhost')?.id, 'e');
    assert.equal(reg.findByAsToken('as-e')?.id, 'e');
  });
});
