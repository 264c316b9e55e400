// Rewrites every listener's bind_addresses in a generated homeserver.yaml to 0.0.0.0, keeping the file's
// comments, so a config generated inside a container is reachable through the published port.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseDocument } from 'yaml';

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: listen-on-all-interfaces.mjs <homeserver.yaml>\n');
  process.exit(2);
}
// YAML 1.1, as the config loader (and Synapse's PyYAML) reads it, so yes/no keep their meaning.
const doc = parseDocument(readFileSync(path, 'utf8'), { version: '1.1' });
const listeners = doc.get('listeners');
if (listeners && typeof listeners === 'object' && 'items' in listeners) {
  for (const listener of listeners.items) {
    listener.delete('bind_address');
    listener.set('bind_addresses', doc.createNode(['0.0.0.0'], { flow: true }));
  }
}
writeFileSync(path, doc.toString());
