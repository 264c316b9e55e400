import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Certificates made at test time with openssl: one test CA, and for each server name a certificate whose
// subjectAltName is that name, signed by the CA. A federation client that trusts the CA
// (federation_custom_ca_list) and checks certificates accepts a peer only when SNI and the certificate
// name match the server name it asked for.

export interface TestCa {
  dir: string;
  caPath: string;
  /** Key and certificate for `serverName`, signed by the CA. */
  issue(serverName: string): { certPath: string; keyPath: string };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-tls-'));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=hearth test CA'], dir);
  return {
    dir,
    caPath: join(dir, 'ca.crt'),
    issue(serverName) {
      const key = `${serverName}.key`;
      const csr = `${serverName}.csr`;
      const crt = `${serverName}.crt`;
      const ext = `${serverName}.ext`;
      writeFileSync(join(dir, ext), `subjectAltName=DNS:${serverName}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${serverName}`], dir);
      openssl(['x509', '-req', '-in', csr, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', crt, '-days', '2', '-extfile', ext], dir);
      return { certPath: join(dir, crt), keyPath: join(dir, key) };
    },
  };
}
