import { TryghedError } from '../../services/runtime/index.ts';

/** network codes, PostgreSQL's connection (08), resource (53) and shutdown (57P) classes, SQLite's busy or I/O */
const UNAVAILABLE_CODE =
  /^(ECONN|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|08|53|57P|SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL))/;
/** what node-postgres says when a connection drops or none can be had */
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|connection error|Connection is closed/i;

/** Whether an error says the store does not answer (as against a bug, which is not the store's outage). */
export function storeUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 3) return false;
  const { code, message, cause, errors } = err as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string' && UNAVAILABLE_CODE.test(code)) return true;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
  if (Array.isArray(errors) && errors.some((e) => storeUnavailable(e, depth + 1))) return true;
  return storeUnavailable(cause, depth + 1);
}

/**
 * Runs work that reads or writes the store. A failure because PostgreSQL or SQLite does not answer
 * (a refused connection, a dropped one, a busy file) is a 503 `store_down`, saying that nothing was
 * changed, so the person at the screen reads "not saved, try again" instead of a vague platform
 * error. Anything else goes out as it is: a refusal with a reason (404, 409), and a bug as the
 * platform error it is, never told to staff as a database outage. The cause goes to the log.
 */
export async function whileStoreAnswers<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof TryghedError || !storeUnavailable(err)) throw err;
    throw new TryghedError('unavailable', 'the database does not answer; nothing was changed, try again', {
      reason: 'store_down',
      cause: err,
    });
  }
}
