import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { ApiDeps } from './deps';
import { ApiError } from './errors';
import { PostgresRateLimitStore } from './rate-limit-store';

/** Requests per API key per window; 0 turns a limit off. */
export interface RateLimits {
  windowSeconds: number;
  /** Any request with a live key. */
  live: number;
  /** Any request with a test key: test traffic must never crowd out payments. */
  test: number;
  /** Event resends, any mode: each one fans out deliveries to every endpoint. */
  resend: number;
}

/** The per-key limit on every authenticated request. */
export function perKeyRateLimit(deps: ApiDeps): RequestHandler {
  const limits = deps.rateLimits;
  if (!limits) return (_req, _res, next) => next();
  return limiter(deps, 'key:', limits.windowSeconds, (livemode) => (livemode ? limits.live : limits.test));
}

/** The tighter limit on POST /events/:id/resend. */
export function resendRateLimit(deps: ApiDeps): RequestHandler {
  const limits = deps.rateLimits;
  if (!limits) return (_req, _res, next) => next();
  return limiter(deps, 'resend:', limits.windowSeconds, () => limits.resend);
}

function limiter(deps: ApiDeps, prefix: string, windowSeconds: number, limitFor: (livemode: boolean) => number): RequestHandler {
  const handler = rateLimit({
    windowMs: windowSeconds * 1000,
    limit: (req) => limitFor(req.auth!.livemode),
    skip: (req) => limitFor(req.auth!.livemode) === 0,
    keyGenerator: (req) => req.auth!.keyId,
    // RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset on every answer; Retry-After on a 429.
    standardHeaders: 'draft-6',
    legacyHeaders: false,
    store: new PostgresRateLimitStore(deps.pool, prefix),
    // A counter that cannot be read must not stop payments: the request goes through.
    passOnStoreError: true,
    handler: (_req, _res, next, options) =>
      next(
        new ApiError(
          429,
          'invalid_request_error',
          'rate_limited',
          `Too many requests for this API key (${String(options.limit)}/${windowSeconds} s here); retry after the Retry-After header`,
        ),
      ),
  });
  return handler;
}
