import type { ErrorRequestHandler, RequestHandler } from 'express';
import { type z } from 'zod';
import { isDependencyUnavailable } from './unavailable';

export type ErrorType = 'invalid_request_error' | 'authentication_error' | 'permission_error' | 'idempotency_error' | 'api_error';

/** The one error family of the API; the middleware turns it into `{ error: { type, code, message, param } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }

  static invalid(code: string, message: string, param?: string): ApiError {
    return new ApiError(400, 'invalid_request_error', code, message, param);
  }

  static notFound(what: string, param = 'id'): ApiError {
    return new ApiError(404, 'invalid_request_error', 'resource_missing', `No such ${what}`, param);
  }
}

/** Parses with a zod schema, reporting the first problem with the path of the offending field. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, paramPrefix = ''): z.infer<T> {
  const nul = pathToNul(value);
  if (nul) {
    // PostgreSQL text cannot hold U+0000: accepted, it would fail every projection write for ever.
    const param = [paramPrefix, ...nul].filter(Boolean).join('.');
    throw ApiError.invalid('parameter_invalid', `${param || 'body'}: must not contain the NUL character`, param || undefined);
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = [paramPrefix, ...issue.path.map(String)].filter(Boolean).join('.');
  const code =
    issue.code === 'unrecognized_keys' ? 'unknown_parameter' : issue.path.length ? 'parameter_invalid' : 'invalid_request';
  const message =
    issue.code === 'unrecognized_keys'
      ? `Unknown parameter(s): ${issue.keys.join(', ')}`
      : `${param || 'body'}: ${issue.message}`;
  throw ApiError.invalid(code, message, issue.code === 'unrecognized_keys' ? issue.keys[0] : param || undefined);
}

/** Path of the first string (key or value) containing U+0000, if any. */
function pathToNul(value: unknown, path: string[] = []): string[] | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (!value || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k.includes('\u0000')) return [...path, k];
    const found = pathToNul(v, [...path, k]);
    if (found) return found;
  }
  return undefined;
}

export const notFoundRoute: RequestHandler = (req, _res, next) =>
  next(new ApiError(404, 'invalid_request_error', 'route_not_found', `No route for ${req.method} ${req.path}`));

/** Maps every error to a JSON body; only genuinely unexpected errors become a 500, and they are logged. */
export const errorMiddleware: ErrorRequestHandler = (err, _req, res, _next) => {
  const log = res.locals.log as { error(obj: object, msg: string): void; warn(obj: object, msg: string): void } | undefined;
  let e: ApiError;
  if (err instanceof ApiError) e = err;
  else if (err?.type === 'entity.parse.failed') e = ApiError.invalid('invalid_json', 'Request body is not valid JSON');
  else if (err?.type === 'entity.too.large')
    e = new ApiError(413, 'invalid_request_error', 'body_too_large', 'Request body is too large');
  else if (err?.type === 'charset.unsupported' || err?.type === 'encoding.unsupported')
    e = new ApiError(415, 'invalid_request_error', 'unsupported_encoding', 'Unsupported body encoding');
  else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500)
    e = new ApiError(err.status, 'invalid_request_error', 'invalid_request', String(err.message ?? 'Bad request'));
  else if (isDependencyUnavailable(err)) {
    if (log) log.warn({ err }, 'a dependency is unavailable');
    res.set('Retry-After', '1');
    e = new ApiError(
      503,
      'api_error',
      'service_unavailable',
      'A part of the service is briefly unavailable; retry the request (with the same Idempotency-Key)',
    );
  } else {
    if (log) log.error({ err }, 'unexpected API error');
    else console.error('unexpected API error', err);
    e = new ApiError(500, 'api_error', 'internal_error', 'Something went wrong on our side; the request can be retried');
  }
  const requestId = res.locals.requestId as string | undefined;
  res.status(e.status).json({
    error: {
      type: e.type,
      code: e.code,
      message: e.message,
      param: e.param ?? null,
      ...(requestId ? { request_id: requestId } : {}),
    },
  });
};
