/**
 * A throwaway PostgreSQL cluster for the tests: Debian's binaries (installed when missing and we are root,
 * as on a fresh CI machine), `initdb` into a temporary directory as an unprivileged user, a free port on
 * 127.0.0.1, stopped at the end. Used by the vitest global setup (postgres-global-setup.ts) and by scripts
 * (the chaos test, the scale benchmark) that need a server of their own.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running test cluster: how to reach it, and what restarting or stopping it needs. */
export interface PostgresTestServer {
  readonly host: string;
  readonly port: number;
  /** A superuser. */
  readonly user: string;
  /** Its password: host connections need it (scram-sha-256), as a real deployment would. */
  readonly password: string;
  /** The directory of initdb, pg_ctl, postgres. */
  readonly binDir: string;
  /** The temporary directory holding the cluster (data/), its log and its socket. */
  readonly dir: string;
  /** The uid and gid the server runs as; absent when it runs as the test process's own user. */
  readonly runAs?: { readonly uid: number; readonly gid: number };
  /** Addresses it listens on besides 127.0.0.1 (a test network namespace's link), with password logins. */
  readonly alsoListen?: readonly string[];
}

const DEBIAN_ROOT = '/usr/lib/postgresql';

/** The bin directory of the newest PostgreSQL Debian installed, or undefined. FERRY_TEST_PG_BIN wins. */
export function findPostgresBin(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.FERRY_TEST_PG_BIN) return env.FERRY_TEST_PG_BIN;
  if (!existsSync(DEBIAN_ROOT)) return undefined;
  const versions = readdirSync(DEBIAN_ROOT)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(DEBIAN_ROOT, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(DEBIAN_ROOT, versions[0], 'bin');
}

/**
 * Finds PostgreSQL, installing Debian's package when it is missing and this process is root (CI on a fresh
 * machine). Anything else without PostgreSQL is an error that says what to install: the PostgreSQL tests
 * are never skipped for want of a server.
 */
export function ensurePostgresInstalled(log: (line: string) => void = () => {}): string {
  const found = findPostgresBin();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(
      'PostgreSQL is not installed and the tests need a real server: install it (Debian: apt-get install ' +
        'postgresql) or set FERRY_TEST_PG_BIN to the directory holding initdb and pg_ctl',
    );
  }
  log('PostgreSQL not found: installing Debian package postgresql (apt-get update, apt-get install)');
  // The package would create and start a cluster of its own on port 5432; the tests start theirs.
  const createCluster = '/etc/postgresql-common/createcluster.conf';
  if (!existsSync(createCluster)) {
    mkdirSync('/etc/postgresql-common', { recursive: true });
    writeFileSync(createCluster, 'create_main_cluster = false\n');
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const stdio = ['ignore', 'ignore', 'inherit'] as const;
  execFileSync('apt-get', ['update'], { env, stdio: [...stdio] });
  execFileSync(
    'apt-get',
    [
      'install',
      '-y',
      '--no-install-recommends',
      '-o',
      'Dpkg::Options::=--force-confdef',
      '-o',
      'Dpkg::Options::=--force-confold',
      'postgresql',
    ],
    { env, stdio: [...stdio] },
  );
  const installed = findPostgresBin();
  if (!installed) throw new Error(`installed postgresql, but found no initdb under ${DEBIAN_ROOT}`);
  return installed;
}

/** A port nobody listens on at this moment, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** initdb refuses to run as root: the Debian package's `postgres` user, as on a real server. */
function unprivilegedUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('running as root, and there is no `postgres` user to run PostgreSQL as');
  }
}

function run(server: Pick<PostgresTestServer, 'binDir' | 'runAs'>, tool: string, args: string[]): string {
  try {
    return execFileSync(join(server.binDir, tool), args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' },
      ...(server.runAs ? { uid: server.runAs.uid, gid: server.runAs.gid } : {}),
    });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`${tool} ${args.join(' ')} failed: ${stderr || stdout || String(error)}`);
  }
}

function serverOptions(server: PostgresTestServer): string {
  return [
    `-p ${server.port}`,
    `-c listen_addresses=${['127.0.0.1', ...(server.alsoListen ?? [])].join(',')}`,
    `-c unix_socket_directories=${server.dir}`,
    // A test cluster: losing it to a power cut costs nothing, and fsync costs every commit.
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
}

/** Starts the server of an initialised cluster (again, after stopPostgres) and waits until it accepts. */
export function startPostgres(server: PostgresTestServer): void {
  run(server, 'pg_ctl', [
    'start',
    '-D',
    join(server.dir, 'data'),
    '-l',
    join(server.dir, 'postgres.log'),
    '-w',
    '-t',
    '60',
    '-o',
    serverOptions(server),
  ]);
}

/** Stops the server; `immediate` is a crash as far as clients can tell (no goodbye to any session). */
export function stopPostgres(server: PostgresTestServer, mode: 'fast' | 'immediate' = 'fast'): void {
  run(server, 'pg_ctl', ['stop', '-D', join(server.dir, 'data'), '-m', mode, '-w', '-t', '60']);
}

/**
 * Creates and starts a cluster in a new temporary directory. A watchdog stops it and deletes the directory
 * if `ownerPid` (this process by default) dies without calling destroyPostgres (a killed test run).
 */
export async function createPostgres(
  options: { log?: (line: string) => void; ownerPid?: number; alsoListen?: readonly string[] } = {},
): Promise<PostgresTestServer> {
  const binDir = ensurePostgresInstalled(options.log);
  const runAs = unprivilegedUser();
  const dir = mkdtempSync(join(tmpdir(), 'ferry-pg-'));
  chmodSync(dir, 0o700);
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  const password = randomBytes(18).toString('base64url');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (runAs) chownSync(pwfile, runAs.uid, runAs.gid);
  const base = {
    host: '127.0.0.1',
    user: 'ferry',
    password,
    binDir,
    dir,
    ...(runAs ? { runAs } : {}),
    ...(options.alsoListen ? { alsoListen: options.alsoListen } : {}),
  };
  run(base, 'initdb', [
    '-D',
    join(dir, 'data'),
    '-U',
    base.user,
    `--pwfile=${pwfile}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--no-locale',
    '--no-sync',
  ]);
  rmSync(pwfile);
  if (options.alsoListen?.length) {
    // Logins from the /24 around each address: a namespace reaches the server from the other end of a link.
    const lines = options.alsoListen.map(
      (address) => `host all all ${address.replace(/\.\d+$/, '.0')}/24 scram-sha-256`,
    );
    appendFileSync(join(dir, 'data', 'pg_hba.conf'), `${lines.join('\n')}\n`);
  }
  // A port can be taken between finding it free and the server binding it: try a few.
  for (let attempt = 1; ; attempt++) {
    const server: PostgresTestServer = { ...base, port: await freePort() };
    try {
      startPostgres(server);
      startWatchdog(server, options.ownerPid ?? process.pid);
      return server;
    } catch (error) {
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

function startWatchdog(server: PostgresTestServer, ownerPid: number): void {
  const pgCtl = join(server.binDir, 'pg_ctl');
  const data = join(server.dir, 'data');
  const script =
    `while [ -e /proc/${ownerPid} ]; do sleep 2; done; ` +
    `[ -d '${data}' ] && '${pgCtl}' stop -D '${data}' -m immediate >/dev/null 2>&1; rm -rf '${server.dir}'`;
  const watchdog = spawn('/bin/sh', ['-c', script], {
    detached: true,
    stdio: 'ignore',
    env: { PATH: '/usr/bin:/bin' },
    ...(server.runAs ? { uid: server.runAs.uid, gid: server.runAs.gid } : {}),
  });
  watchdog.unref();
}

/** Stops the cluster and deletes its directory. */
export function destroyPostgres(server: PostgresTestServer): void {
  try {
    stopPostgres(server, 'fast');
  } finally {
    rmSync(server.dir, { recursive: true, force: true });
  }
}
