/**
 * What a test needs of PostgreSQL: the run's shared cluster (started by postgres-global-setup.ts), a
 * database or schema of its own, and a private cluster for tests that restart the server.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import type { PostgresTestServer } from './postgres-cluster.ts';
import { createPostgres } from './postgres-cluster.ts';

export type { PostgresTestServer } from './postgres-cluster.ts';
export { destroyPostgres, startPostgres, stopPostgres } from './postgres-cluster.ts';

/** The cluster of this test run. */
export function postgresServer(): PostgresTestServer {
  return inject('postgres');
}

/** A URL of the cluster, without its password (tests pass it as PGPASSWORD, as users should). */
export function postgresUrl(database: string, options: { schema?: string } = {}): string {
  return urlOf(postgresServer(), database, options);
}

/** A client of a database as the superuser, for setting up and inspecting. */
export async function adminClient(database = 'postgres', server = postgresServer()): Promise<pg.Client> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database,
  });
  client.on('error', () => {
    // A restart in a test drops it; the test's next query reports it.
  });
  await client.connect();
  return client;
}

/** A unique lower-case identifier with this prefix. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Creates an empty database; resolves to its name and a function that drops it. */
export async function createTestDatabase(
  prefix = 'ferry_test',
  server = postgresServer(),
): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = uniqueName(prefix);
  const admin = await adminClient('postgres', server);
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: urlOf(server, name),
    drop: async () => {
      const client = await adminClient('postgres', server);
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * A cluster of the test file's own, for tests that restart or stop the server: the run's shared cluster
 * serves test files running at the same time. Stop it with destroyPostgres.
 */
export async function privatePostgres(
  options: { alsoListen?: readonly string[] } = {},
): Promise<PostgresTestServer> {
  return createPostgres(options);
}

/** A URL of a private cluster's database, without its password. */
export function urlOf(
  server: PostgresTestServer,
  database: string,
  options: { schema?: string } = {},
): string {
  const url = new URL(`postgres://${server.user}@${server.host}:${server.port}/${database}`);
  if (options.schema !== undefined) url.searchParams.set('options', `-c search_path=${options.schema}`);
  return url.href;
}
