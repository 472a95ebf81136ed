/**
 * A test certificate authority made in the test with openssl: a CA, a server certificate for
 * 127.0.0.1 and localhost, and a client certificate, all signed by the CA. Skips (with the reason)
 * where openssl is not installed; CI installs it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { have, missing } from './system-tools.js';

const run = promisify(execFile);

/** Why TLS tests cannot run here, or undefined. */
export function opensslMissing(): string | undefined {
  return missing(have('openssl'), 'openssl', 'package openssl');
}

export interface TestPki {
  dir: string;
  /** Paths of the PEM files. */
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Contents, for the API. */
  ca: string;
  clientCertPem: string;
  clientKeyPem: string;
}

async function signed(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, extensions);
  await run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, `${name}.key`), '-subj', subject, '-out', join(dir, `${name}.csr`)]);
  await run('openssl', ['x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', join(dir, `${name}.crt`)]);
}

export async function makeTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'rpmfetch-pki-'));
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'), '-days', '2', '-subj', '/CN=rpmfetch test CA']);
  await signed(dir, 'server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await signed(dir, 'client', '/CN=rpmfetch builder', 'extendedKeyUsage=clientAuth\n');
  const read = (f: string) => readFile(join(dir, f), 'utf8');
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
    ca: await read('ca.crt'),
    clientCertPem: await read('client.crt'),
    clientKeyPem: await read('client.key'),
  };
}
