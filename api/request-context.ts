import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Histogram } from 'prom-client';
import { requestIdContext } from '../activities/temporal/request-id-context';

/** A caller's own id is kept when it is safe to echo into headers and logs. */
const CALLER_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Gives every request an id (the caller's `Request-Id` if sane, else a new `req_…`), returned in
 * the `Request-Id` header and kept in `res.locals` for error bodies; on finish, records its latency
 * and logs one JSON line. Headers and bodies are never logged: they carry API keys and addresses.
 */
export function requestContext(logger: Logger, latency: Histogram<'method' | 'route' | 'status'>): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('request-id');
    const requestId = incoming && CALLER_REQUEST_ID.test(incoming) ? incoming : `req_${randomBytes(12).toString('hex')}`;
    res.locals.requestId = requestId;
    res.locals.log = logger.child({ request_id: requestId });
    res.setHeader('Request-Id', requestId);
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(req);
      latency.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      res.locals.log.info(
        { method: req.method, route, status: res.statusCode, duration_ms: Math.round(seconds * 1000) },
        'request',
      );
    });
    // Workflows this request starts carry its id on to their activities' logs.
    requestIdContext.run(requestId, next);
  };
}

/** The matched route's pattern (`/v1/invoices/:id`); unmatched paths share one label. */
function routeOf(req: Request): string {
  const pattern = req.route?.path as string | undefined;
  return pattern ? `${req.baseUrl}${pattern}` : 'unmatched';
}
