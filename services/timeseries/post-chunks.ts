import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** What a server answered: its status, and the start of its body when it was not a success. */
export interface PostAnswer {
  status: number;
  /** the first `MAX_ERROR_TEXT` characters of the body of a non-2xx answer ('' for a success) */
  text: string;
}

const MAX_ERROR_TEXT = 2_000;

/**
 * An idle kept-alive connection is closed after this long: a server or a proxy in between may close
 * one it finds idle without a word, and a request sent on it then fails (undici, behind `fetch`,
 * closes its idle ones after 4 s too).
 */
export const IDLE_SOCKET_MS = 4_000;

/**
 * A keep-alive agent for `url`'s protocol: give it to `postChunks`, destroy it on close. Its idle
 * time closes only a connection waiting in its pool: a request slower to answer than that goes on
 * (only `postChunks`' own time limit ends it).
 */
export function agentFor(url: URL, idleMs = IDLE_SOCKET_MS): HttpAgent {
  const options = { keepAlive: true, timeout: idleMs };
  return url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
}

/** what `postChunks` is given besides the body */
export interface PostOptions {
  agent: HttpAgent;
  headers: Record<string, string>;
  timeoutMs: number;
}

/**
 * POSTs a body given as chunks, one chunk written per turn of the event loop (or after `drain`
 * when the socket is full). Writing a whole batch (hundreds of KB) to a socket in one call made the
 * kernel copy and send all of it while the event loop waited (9 ms seen under the bench's load).
 * Rejects on a network error or after `timeoutMs`; a non-2xx answer resolves with its status.
 *
 * A request that fails on a kept-alive connection before any answer (the other end had closed it
 * meanwhile) is sent once more on a new connection: for the body it is made for, a write of
 * points that InfluxDB keeps one of per series and time, sending it twice stores the same.
 */
export async function postChunks(url: URL, chunks: readonly Buffer[], o: PostOptions): Promise<PostAnswer> {
  try {
    return await postOnce(url, chunks, o);
  } catch (err) {
    if (!(err instanceof StaleSocketError)) throw err;
    return postOnce(url, chunks, o);
  }
}

/** a request failed, before any answer, on a connection kept alive from an earlier one */
class StaleSocketError extends Error {}

function postOnce(url: URL, chunks: readonly Buffer[], o: PostOptions): Promise<PostAnswer> {
  let length = 0;
  for (const c of chunks) length += c.length;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PostAnswer>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: o.agent,
        headers: { ...o.headers, 'content-length': String(length) },
        signal: AbortSignal.timeout(o.timeoutMs),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        let text = '';
        const ok = status >= 200 && status < 300;
        if (!ok) res.setEncoding('utf8');
        res.on('data', (d: string | Buffer) => {
          if (!ok && text.length < MAX_ERROR_TEXT) text += d;
        });
        res.on('end', () => resolve({ status, text: text.slice(0, MAX_ERROR_TEXT) }));
        res.on('error', reject);
      },
    );
    let answered = false;
    req.on('response', () => {
      answered = true;
    });
    req.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (!answered && req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE'))
        reject(new StaleSocketError(err.message, { cause: err }));
      // said as what it means for whoever reads the log, not as "the operation was aborted"
      else if (err.name === 'AbortError')
        reject(new Error(`no answer within ${o.timeoutMs} ms`, { cause: err }));
      else reject(err);
    });
    let i = 0;
    const next = (): void => {
      if (req.destroyed) return;
      if (i >= chunks.length) {
        req.end();
        return;
      }
      const room = req.write(chunks[i++]!);
      if (room) setImmediate(next);
      else req.once('drain', next);
    };
    next();
  });
}
