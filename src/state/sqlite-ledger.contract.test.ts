import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLedgerContract } from './ledger-contract.ts';
import { openSqliteLedger } from './sqlite-ledger.ts';

describeLedgerContract('the SQLite ledger', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-ledger-contract-'));
  const ledger = await openSqliteLedger(dir);
  return {
    ledger,
    reopen: () => openSqliteLedger(dir),
    cleanup: async () => {
      await ledger.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
