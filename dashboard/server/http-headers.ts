import type { NextFunction, Request, Response } from 'express';

/**
 * On every answer that is data rather than a page (/api, /healthz, /readyz, /metrics), errors
 * included: never sniffed into something else, never cached (answers hold personal data and a
 * CSRF token), never framed (the same protection the pages have), no referrer.
 */
export function dataHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  });
  next();
}
