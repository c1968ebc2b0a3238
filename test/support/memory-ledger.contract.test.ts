import { describeLedgerContract } from '../../src/state/ledger-contract.ts';
import { createMemoryLedger } from './memory-ledger.ts';

describeLedgerContract('the memory ledger', async () => {
  const ledger = createMemoryLedger();
  return {
    ledger,
    // Another ledger on the same in-memory store: what a second process is to a file.
    reopen: async () => ledger.reopen(),
    cleanup: () => ledger.close(),
  };
});
