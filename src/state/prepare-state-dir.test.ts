import { describe, expect, it } from 'vitest';
import { stateDirRefusal } from './prepare-state-dir.ts';

describe('stateDirRefusal', () => {
  it('names a file-system refusal met while creating the ledger as an unusable state directory', () => {
    // As /sys/kernel answers root: access() allows writing, creating a file then fails.
    const refusal = Object.assign(new Error("EACCES: permission denied, open '/sys/kernel/ferry.db'"), {
      code: 'EACCES',
    });
    const error = stateDirRefusal('/sys/kernel', refusal);
    expect(error?.code).toBe('FERRY_ERR_STATE_UNUSABLE');
    expect(error?.message).toBe('the state directory /sys/kernel is not writable (permission denied)');
  });

  it('leaves other errors to the caller', () => {
    expect(stateDirRefusal('/x', new Error('SQLITE_CORRUPT'))).toBeUndefined();
  });
});
