import { TryghedError } from '../../services/runtime/index.ts';

/**
 * Runs work that reads or writes the store. A failure without a reason of its own (PostgreSQL or
 * SQLite does not answer: a refused connection, a dropped one) is a 503 `store_down`, saying that
 * nothing was changed, so the person at the screen reads "not saved, try again" instead of a vague
 * platform error; a refusal with a reason (404, 409) goes out as it is. The cause goes to the log.
 */
export async function whileStoreAnswers<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof TryghedError) throw err;
    throw new TryghedError('unavailable', 'the database does not answer; nothing was changed, try again', {
      reason: 'store_down',
      cause: err,
    });
  }
}
