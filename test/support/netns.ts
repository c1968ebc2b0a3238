/**
 * A network namespace for a test: a process started in it reaches the host only over two veth pairs, one to
 * the database and one to the APIs, each of which the test can cut (`ip link set ... down`) and restore.
 * Needs root and Debian's iproute2 (installed when missing, as root, as on a fresh CI machine).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

/** One namespace and its two links to the host. */
export interface TestNamespace {
  readonly name: string;
  /** The host's end of the database link: where PostgreSQL must listen for the namespace to reach it. */
  readonly databaseHost: string;
  /** The host's end of the API link: where the mocks must listen. */
  readonly apiHost: string;
  /** The command prefix that runs a program inside the namespace. */
  readonly exec: readonly string[];
  /** Takes the database link down: packets are dropped both ways, no connection is reset. */
  cutDatabase(): void;
  restoreDatabase(): void;
  cutApis(): void;
  restoreApis(): void;
  destroy(): void;
}

function ip(...args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || String(error)}`);
  }
}

/** `ip` from Debian's iproute2, installed when missing and this process is root. */
export function ensureIproute2(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the partition test needs root to create network namespaces (ip netns, veth pairs); run the tests as root, as CI does',
    );
  }
  if (existsSync('/usr/sbin/ip') || existsSync('/sbin/ip') || existsSync('/usr/bin/ip')) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'iproute2'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Creates a namespace with a database link and an API link to the host, each a /30 of 10.X.Y.0/29. */
export function createNamespace(): TestNamespace {
  ensureIproute2();
  const tag = randomBytes(3).toString('hex');
  const name = `ferry-${tag}`;
  const octets = randomBytes(2);
  const prefix = `10.${200 + (octets[0]! % 50)}.${octets[1]}`;
  const links = {
    database: { host: `fy${tag}d0`, inside: `fy${tag}d1`, hostIp: `${prefix}.1`, insideIp: `${prefix}.2` },
    apis: { host: `fy${tag}a0`, inside: `fy${tag}a1`, hostIp: `${prefix}.5`, insideIp: `${prefix}.6` },
  };
  ip('netns', 'add', name);
  try {
    ip('-n', name, 'link', 'set', 'lo', 'up');
    for (const link of Object.values(links)) {
      ip('link', 'add', link.host, 'type', 'veth', 'peer', 'name', link.inside);
      ip('link', 'set', link.inside, 'netns', name);
      ip('addr', 'add', `${link.hostIp}/30`, 'dev', link.host);
      ip('link', 'set', link.host, 'up');
      ip('-n', name, 'addr', 'add', `${link.insideIp}/30`, 'dev', link.inside);
      ip('-n', name, 'link', 'set', link.inside, 'up');
    }
  } catch (error) {
    destroy();
    throw error;
  }
  function destroy(): void {
    for (const link of Object.values(links)) {
      try {
        ip('link', 'del', link.host);
      } catch {
        // Gone with the namespace already.
      }
    }
    try {
      ip('netns', 'del', name);
    } catch {
      // Never created.
    }
  }
  return {
    name,
    databaseHost: links.database.hostIp,
    apiHost: links.apis.hostIp,
    exec: ['ip', 'netns', 'exec', name],
    cutDatabase: () => ip('link', 'set', links.database.host, 'down'),
    restoreDatabase: () => ip('link', 'set', links.database.host, 'up'),
    cutApis: () => ip('link', 'set', links.apis.host, 'down'),
    restoreApis: () => ip('link', 'set', links.apis.host, 'up'),
    destroy,
  };
}
