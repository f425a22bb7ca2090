import type { NextFunction, Request, Response } from 'express';
import { ZodError } from 'zod';
import { type LogBudget, type Logger, TryghedError } from '../../services/runtime/index.ts';
import { fieldIssues } from './api/route.ts';

/**
 * One error envelope for the whole API: `{ error: code, reason?, message, issues? }`. `error` and
 * `reason` are stable codes the web app words in Danish (dashboard/web/src/messages/errors.ts);
 * `message` is English, for API users and logs. `issues` names each
 * field and why (`{ path: 'settings.nightStart', message }`); a 400 always has it.
 */
export function sendError(res: Response, err: TryghedError): void {
  const issues =
    err.issues.length > 0 || err.code === 'bad_request'
      ? { issues: err.issues.length ? err.issues : [{ path: '(request)', message: err.message }] }
      : {};
  const detail = Object.keys(err.detail).length > 0 ? { detail: err.detail } : {};
  const reason = err.reason ? { reason: err.reason } : {};
  res.status(err.status).json({ error: err.code, ...reason, message: err.message, ...issues, ...detail });
}

/** What express's body parser (body-parser) throws, as far as we read it. */
interface BodyParserError {
  type?: string;
  status?: number;
  /** http-errors' flag: the message is meant for the client */
  expose?: boolean;
  limit?: number;
  length?: number;
  message?: string;
}

/**
 * Express's last handler, and the one place a refused or failed request is logged: one line each
 * (`request refused` for 4xx at info, `request failed` for 5xx with its cause), with the route's
 * pattern, never its ids, body or query. A handler that knows more about a failure puts it in the
 * error's `cause` instead of logging it a second time. Typed errors go out as they are; a body the
 * parser refused is a 400 or 413 with the reason; a path with a malformed escape is a 400; anything
 * else is a plain 500, with no stack for the client.
 */
export function errorHandler(
  logger: Logger,
  bodyLimitBytes: number,
  /** 4xx lines logged one by one per status and code; a flood of them is said in one line a window */
  refusalLines?: LogBudget,
) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const refusal = asTryghedError(err, bodyLimitBytes);
    if (!refusal) return; // the client went away; there is nobody to answer
    const where = {
      status: refusal.status,
      code: refusal.code,
      method: req.method,
      route: (req.route?.path as string | undefined) ?? '(none)',
    };
    if (refusal.status >= 500) {
      const cause = refusal === err ? refusal.cause : err;
      logger[refusal.status === 503 ? 'warn' : 'error'](
        { ...where, err: cause ?? refusal },
        'request failed',
      );
    } else if (!refusalLines || refusalLines.take(`${refusal.status} ${refusal.code}`))
      logger.info(where, 'request refused');
    if (res.headersSent) return;
    sendError(res, refusal);
  };
}

/** What went wrong, as the error the client gets; undefined when there is nobody to answer. */
function asTryghedError(err: unknown, bodyLimitBytes: number): TryghedError | undefined {
  if (err instanceof TryghedError) return err;
  if (err instanceof ZodError) {
    return new TryghedError('bad_request', 'invalid request', { issues: fieldIssues(err.issues, 'body') });
  }
  // express's router decodes each path parameter; `%zz` or a cut-off UTF-8 sequence cannot be
  if (err instanceof URIError) {
    return new TryghedError('bad_request', 'the path has a malformed %-escape', {
      issues: [{ in: 'path', path: '(path)', message: 'malformed percent-encoding' }],
    });
  }
  const e = err as BodyParserError;
  switch (e.type) {
    case 'entity.parse.failed':
      // JSON.parse's message says where (`Unexpected token } in JSON at position 12`); it holds no server detail
      return new TryghedError('bad_request', 'the request body is not valid JSON', {
        issues: [{ in: 'body', path: '(body)', message: e.message ?? 'not valid JSON' }],
      });
    case 'entity.too.large':
      return new TryghedError(
        'payload_too_large',
        `the request body is ${e.length ?? 'more than'} bytes; at most ${bodyLimitBytes} bytes are accepted`,
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new TryghedError('bad_request', 'the request body must be UTF-8 JSON', {
        issues: [{ in: 'body', path: '(body)', message: e.message ?? 'unsupported encoding' }],
      });
    case 'request.aborted':
      return undefined;
  }
  if (e.expose && e.status && e.status >= 400 && e.status < 500) {
    return new TryghedError('bad_request', 'the request could not be read', {
      issues: [{ in: 'body', path: '(body)', message: e.message ?? 'unreadable' }],
    });
  }
  return new TryghedError('internal', 'something went wrong; it has been logged', { cause: err });
}
