/**
 * Vitest global setup: one throwaway PostgreSQL cluster for the whole test run (postgres-cluster.ts),
 * provided to the test files as `inject('postgres')` and stopped when the run ends. The PostgreSQL tests
 * (the ledger contract suite among them) always run: a machine without PostgreSQL gets Debian's package,
 * or the run fails saying what to install.
 */
import type { TestProject } from 'vitest/node';
import { createPostgres, destroyPostgres, type PostgresTestServer } from './postgres-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: PostgresTestServer;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const server = await createPostgres({ log: (line) => process.stderr.write(`${line}\n`) });
  project.provide('postgres', server);
  return () => destroyPostgres(server);
}
