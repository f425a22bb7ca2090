import type { NextFunction, Request, Response } from 'express';
import { ZodError } from 'zod';
import { type Logger, TryghedError } from '../../services/runtime/index.ts';
import { fieldIssues } from './api/route.ts';

/**
 * One error envelope for the whole API: `{ error: code, message, issues? }`. `issues` names each
 * field and why (`{ path: 'settings.nightStart', message }`); a 400 always has it.
 */
export function sendError(res: Response, err: TryghedError): void {
  const issues =
    err.issues.length > 0 || err.code === 'bad_request'
      ? { issues: err.issues.length ? err.issues : [{ path: '(request)', message: err.message }] }
      : {};
  const detail = Object.keys(err.detail).length > 0 ? { detail: err.detail } : {};
  res.status(err.status).json({ error: err.code, message: err.message, ...issues, ...detail });
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
 * Express's last handler: typed errors go out as they are; a body the parser refused is a 400 or
 * 413 with the reason; anything else is a plain 500, logged, with no stack for the client.
 */
export function errorHandler(logger: Logger, bodyLimitBytes: number) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof TryghedError) return sendError(res, err);
    if (err instanceof ZodError) {
      return sendError(
        res,
        new TryghedError('bad_request', 'invalid request', { issues: fieldIssues(err.issues, 'body') }),
      );
    }
    const e = err as BodyParserError;
    switch (e.type) {
      case 'entity.parse.failed':
        // JSON.parse's message says where (`Unexpected token } in JSON at position 12`); it holds no server detail
        return sendError(
          res,
          new TryghedError('bad_request', 'the request body is not valid JSON', {
            issues: [{ in: 'body', path: '(body)', message: e.message ?? 'not valid JSON' }],
          }),
        );
      case 'entity.too.large':
        return sendError(
          res,
          new TryghedError(
            'payload_too_large',
            `the request body is ${e.length ?? 'more than'} bytes; at most ${bodyLimitBytes} bytes are accepted`,
          ),
        );
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return sendError(
          res,
          new TryghedError('bad_request', 'the request body must be UTF-8 JSON', {
            issues: [{ in: 'body', path: '(body)', message: e.message ?? 'unsupported encoding' }],
          }),
        );
      case 'request.aborted':
        return; // the client went away; there is nobody to answer
    }
    if (e.expose && e.status && e.status >= 400 && e.status < 500) {
      return sendError(
        res,
        new TryghedError('bad_request', 'the request could not be read', {
          issues: [{ in: 'body', path: '(body)', message: e.message ?? 'unreadable' }],
        }),
      );
    }
    logger.error({ err, method: req.method, path: req.route?.path ?? 'unknown' }, 'unexpected error');
    sendError(res, new TryghedError('internal', 'something went wrong; it has been logged'));
  };
}
