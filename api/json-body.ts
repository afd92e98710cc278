import express, { type RequestHandler } from 'express';
import { ApiError } from './errors';

export const BODY_LIMIT = '100kb';
/** Far deeper than any request body the API defines; deeper input would only exercise recursion. */
export const MAX_JSON_DEPTH = 32;

/**
 * Request bodies are JSON, and only JSON: a body sent as another media type is a 415 rather than
 * being parsed anyway, and nesting beyond MAX_JSON_DEPTH is a 400 before any validation recurses.
 */
export function jsonBody(): RequestHandler[] {
  return [requireJsonMediaType, express.json({ limit: BODY_LIMIT, type: isJson }), rejectDeepJson];
}

function isJson(req: { headers: Record<string, string | string[] | undefined> }): boolean {
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

function hasBody(req: { headers: Record<string, string | string[] | undefined> }): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

const requireJsonMediaType: RequestHandler = (req, _res, next) => {
  if (!hasBody(req) || isJson(req)) return next();
  next(
    new ApiError(
      415,
      'invalid_request_error',
      'unsupported_media_type',
      'Request bodies must be JSON sent with Content-Type: application/json',
    ),
  );
};

const rejectDeepJson: RequestHandler = (req, _res, next) => {
  if (jsonDepth(req.body) > MAX_JSON_DEPTH) {
    return next(ApiError.invalid('json_too_deep', `Request body nests deeper than ${MAX_JSON_DEPTH} levels`));
  }
  next();
};

/** Nesting depth of a parsed JSON value, walked without recursion so no input can exhaust the stack. */
export function jsonDepth(value: unknown): number {
  let max = 0;
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length) {
    const [v, depth] = pending.pop()!;
    if (!v || typeof v !== 'object') continue;
    max = Math.max(max, depth + 1);
    if (max > MAX_JSON_DEPTH) return max;
    for (const child of Object.values(v)) pending.push([child, depth + 1]);
  }
  return max;
}
