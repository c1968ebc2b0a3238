/**
 * What a test needs of the run's PostgreSQL cluster (started by postgres-global-setup.ts): its address, a
 * database or schema of its own, and restarting the server.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import type { PostgresTestServer } from './postgres-cluster.ts';
import { startPostgres, stopPostgres } from './postgres-cluster.ts';

export type { PostgresTestServer } from './postgres-cluster.ts';

/** The cluster of this test run. */
export function postgresServer(): PostgresTestServer {
  return inject('postgres');
}

/** A URL of the cluster, without its password (tests pass it as PGPASSWORD, as users should). */
export function postgresUrl(database: string, options: { schema?: string } = {}): string {
  const server = postgresServer();
  const url = new URL(`postgres://${server.user}@${server.host}:${server.port}/${database}`);
  if (options.schema !== undefined) url.searchParams.set('options', `-c search_path=${options.schema}`);
  return url.href;
}

/** A client of the `postgres` database as the superuser, for setting up and inspecting. */
export async function adminClient(database = 'postgres'): Promise<pg.Client> {
  const server = postgresServer();
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
): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = uniqueName(prefix);
  const admin = await adminClient();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: postgresUrl(name),
    drop: async () => {
      const client = await adminClient();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Restarts the server: `immediate` ends every session as a crash would. */
export function restartPostgres(mode: 'fast' | 'immediate' = 'immediate'): void {
  const server = postgresServer();
  stopPostgres(server, mode);
  startPostgres(server);
}
