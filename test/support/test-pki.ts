// A throwaway PKI for TLS tests: a CA, a server certificate for 127.0.0.1 and localhost, and a client
// certificate, all signed by that CA, made with Debian's openssl in a temporary directory.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM texts and the files they are in. */
export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverKey: string;
  readonly serverCert: string;
  readonly clientKey: string;
  readonly clientCert: string;
  /** Files, for configs that name them (tls.ca_file, cert_file, key_file). */
  readonly files: {
    readonly caCert: string;
    readonly clientKey: string;
    readonly clientCert: string;
    /** A client certificate from another CA, which the server must refuse. */
    readonly strangerKey: string;
    readonly strangerCert: string;
  };
  remove(): Promise<void>;
}

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

function keyAndRequest(cwd: string, name: string, subject: string): void {
  openssl(
    [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    ],
    cwd,
  );
}

function selfSignedCa(cwd: string, name: string, subject: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      subject,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
    ],
    cwd,
  );
}

async function sign(cwd: string, name: string, ca: string, extensions: string): Promise<void> {
  await writeFile(join(cwd, `${name}.ext`), extensions);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    ],
    cwd,
  );
}

/** Makes the CA and the certificates; remove() deletes them. */
export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-pki-'));
  selfSignedCa(dir, 'ca', '/CN=ferry test CA');
  keyAndRequest(dir, 'server', '/CN=127.0.0.1');
  await sign(
    dir,
    'server',
    'ca',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
  );
  keyAndRequest(dir, 'client', '/CN=ferry client');
  await sign(dir, 'client', 'ca', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  selfSignedCa(dir, 'other-ca', '/CN=some other CA');
  keyAndRequest(dir, 'stranger', '/CN=stranger');
  await sign(dir, 'stranger', 'other-ca', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  const read = (name: string) => readFile(join(dir, name), 'utf8');
  return {
    dir,
    caCert: await read('ca.pem'),
    serverKey: await read('server.key'),
    serverCert: await read('server.pem'),
    clientKey: await read('client.key'),
    clientCert: await read('client.pem'),
    files: {
      caCert: join(dir, 'ca.pem'),
      clientKey: join(dir, 'client.key'),
      clientCert: join(dir, 'client.pem'),
      strangerKey: join(dir, 'stranger.key'),
      strangerCert: join(dir, 'stranger.pem'),
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
