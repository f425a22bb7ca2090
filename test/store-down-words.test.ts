import { describe, expect, it } from 'vitest';
import { storeUnavailable, whileStoreAnswers } from '../dashboard/server/store-down.ts';
import { TryghedError } from '../services/runtime/index.ts';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('store_down is said only when the store does not answer', () => {
  it('knows a refused or dropped connection, a PostgreSQL shutdown and a busy SQLite file', () => {
    expect(storeUnavailable(withCode('ECONNREFUSED'))).toBe(true);
    expect(storeUnavailable(withCode('57P01', 'terminating connection due to administrator command'))).toBe(
      true,
    );
    expect(storeUnavailable(withCode('SQLITE_BUSY'))).toBe(true);
    expect(storeUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(storeUnavailable(new AggregateError([withCode('ECONNREFUSED')]))).toBe(true);
    expect(storeUnavailable(new Error('query failed', { cause: withCode('ETIMEDOUT') }))).toBe(true);
  });

  it('a bug or a constraint is not an outage: it goes out as it is, never as store_down', async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    await expect(whileStoreAnswers(() => Promise.reject(bug))).rejects.toBe(bug);
    const unique = withCode('23505', 'duplicate key value violates unique constraint');
    await expect(whileStoreAnswers(() => Promise.reject(unique))).rejects.toBe(unique);
    await expect(whileStoreAnswers(() => Promise.reject(withCode('ECONNREFUSED')))).rejects.toMatchObject({
      reason: 'store_down',
    });
    const refusal = new TryghedError('conflict', 'already resolved');
    await expect(whileStoreAnswers(() => Promise.reject(refusal))).rejects.toBe(refusal);
  });
});
