import { afterAll, beforeAll } from 'vitest';
import {
  adminClient,
  createTestDatabase,
  postgresServer,
  postgresUrl,
  uniqueName,
} from '../../test/support/postgres.ts';
import { describeLedgerContract } from './ledger-contract.ts';
import { openPostgresLedger } from './postgres-ledger.ts';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase('ferry_contract');
});
afterAll(() => database.drop());

// Each test gets an empty schema of its own, reached through the URL's search_path, as a deployment that
// keeps ferry's tables in a schema of their own would.
describeLedgerContract('the PostgreSQL ledger', async () => {
  const schema = uniqueName('contract');
  const admin = await adminClient(database.name);
  await admin.query(`CREATE SCHEMA ${schema}`);
  const connection = {
    connectionString: postgresUrl(database.name, { schema }),
    password: postgresServer().password,
  };
  const ledger = await openPostgresLedger(connection);
  return {
    ledger,
    reopen: () => openPostgresLedger(connection),
    cleanup: async () => {
      await ledger.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
});
