import type { NextFunction, Request, Response } from 'express';
import { ZodError, type z } from 'zod';
import { type Logger, TryghedError } from '../../services/runtime/index.ts';

/** One error envelope for the whole API: `{ error: { code, message, issues? } }`. */
export function sendError(res: Response, err: TryghedError): void {
  res.status(err.status).json({
    error: { code: err.code, message: err.message, ...(err.issues.length ? { issues: err.issues } : {}) },
  });
}

/** Parses a request body with zod; a bad one is a 400 naming each field and why. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  throw new TryghedError('bad_request', 'the request body is not valid', {
    issues: parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message })),
  });
}

/** Express's last handler: typed errors go out as they are; anything else is a plain 500, logged. */
export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof TryghedError) return sendError(res, err);
    if (err instanceof ZodError) return sendError(res, new TryghedError('bad_request', 'invalid request'));
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.parse.failed') {
      return sendError(res, new TryghedError('bad_request', 'the request body is not valid JSON'));
    }
    if (e.type === 'entity.too.large') {
      return sendError(res, new TryghedError('bad_request', 'the request body is too large'));
    }
    logger.error({ err, method: req.method, path: req.route?.path ?? 'unknown' }, 'unexpected error');
    sendError(res, new TryghedError('internal', 'something went wrong; it has been logged'));
  };
}
