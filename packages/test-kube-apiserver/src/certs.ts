/*
 * A throw-away CA and serving certificate, made with the openssl CLI.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ServingCerts {
  dir: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** Generates a CA and a cert for `host` (+ 127.0.0.1 and localhost) in a temp dir. */
export async function generateCerts(host: string): Promise<ServingCerts> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'test-kube-apiserver-'));
  const f = (n: string) => path.join(dir, n);
  const ec = [
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
  ];
  const sans = new Set([
    'IP:127.0.0.1',
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
  ]);
  sans.add(
    /^[\d.]+$/.test(host) || host.includes(':') ? `IP:${host}` : `DNS:${host}`,
  );
  try {
    await run('openssl', [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      f('ca.key'),
      '-out',
      f('ca.crt'),
      '-days',
      '7',
      '-subj',
      '/CN=test-kube-apiserver-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await run('openssl', [
      'req',
      ...ec,
      '-keyout',
      f('server.key'),
      '-out',
      f('server.csr'),
      '-subj',
      '/CN=kube-apiserver',
    ]);
    await fs.writeFile(
      f('ext.cnf'),
      [
        `subjectAltName=${[...sans].join(',')}`,
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        '',
      ].join('\n'),
    );
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      f('server.csr'),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f('server.crt'),
      '-days',
      '7',
      '-extfile',
      f('ext.cnf'),
    ]);
  } catch (e: any) {
    await fs.rm(dir, { recursive: true, force: true });
    throw new Error(
      `openssl failed to generate the test CA / serving certificate: ${
        e?.stderr || e?.message
      }`,
    );
  }
  const [caPem, certPem, keyPem] = await Promise.all(
    ['ca.crt', 'server.crt', 'server.key'].map(n => fs.readFile(f(n), 'utf8')),
  );
  return { dir, caPem, certPem, keyPem };
}
