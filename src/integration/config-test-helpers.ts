import type { FerryError } from '../core/errors.ts';

/** Awaits a promise that must reject and returns its error (tests only). */
export async function rejection(promise: Promise<unknown>): Promise<FerryError> {
  try {
    await promise;
  } catch (error) {
    return error as FerryError;
  }
  throw new Error('expected the promise to reject');
}
