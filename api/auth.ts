import { BlockList, isIP } from 'node:net';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Pool } from 'pg';
import type { ApiScope } from '../domain/api-schemas';
import { hashApiKey, KEY_PATTERN } from '../domain/api-key';
import { ApiError } from './errors';

export interface AuthContext {
  keyId: string;
  merchantId: string;
  livemode: boolean;
  scopes: ApiScope[];
  underpaymentToleranceBps: number;
}

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthContext;
  }
}

interface KeyRow {
  id: string;
  merchant_id: string;
  livemode: boolean;
  scopes: ApiScope[];
  ip_allowlist: string[];
  revoked_at: Date | null;
  expired: boolean;
  underpayment_tolerance_bps: number;
}

function presentedKey(req: Request): string | undefined {
  const header = req.get('x-api-key');
  if (header) return header.trim();
  const authorization = req.get('authorization');
  const match = authorization?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

/** Whether `ip` falls in one of the allowlist's entries (single addresses or CIDRs, v4 or v6). */
export function ipAllowed(ip: string, allowlist: string[]): boolean {
  if (!allowlist.length) return true;
  const normalized = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const family = isIP(normalized) === 6 ? 'ipv6' : 'ipv4';
  const list = new BlockList();
  for (const entry of allowlist) {
    const [address, bits] = entry.split('/');
    const entryFamily = isIP(address ?? '') === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address!, entryFamily);
    else list.addSubnet(address!, Number(bits), entryFamily);
  }
  return list.check(normalized, family);
}

/** Authenticates by API key (X-API-Key or Authorization: Bearer) and enforces the key's IP allowlist. */
export function authenticate(pool: Pool): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const key = presentedKey(req);
    if (!key) {
      return next(
        new ApiError(
          401,
          'authentication_error',
          'missing_api_key',
          'Provide your API key in the X-API-Key header or as Authorization: Bearer <key>',
        ),
      );
    }
    if (!KEY_PATTERN.test(key)) return next(new ApiError(401, 'authentication_error', 'invalid_api_key', 'Invalid API key'));
    const row = (
      await pool.query<KeyRow>(
        `SELECT k.id, k.merchant_id, k.livemode, k.scopes, k.ip_allowlist, k.revoked_at, k.expires_at <= now() AS expired, m.underpayment_tolerance_bps
         FROM api_keys k JOIN merchants m ON m.id = k.merchant_id WHERE k.key_hash = $1`,
        [hashApiKey(key)],
      )
    ).rows[0];
    if (!row) return next(new ApiError(401, 'authentication_error', 'invalid_api_key', 'Invalid API key'));
    if (row.revoked_at)
      return next(new ApiError(401, 'authentication_error', 'api_key_revoked', 'This API key has been revoked'));
    if (row.expired) return next(new ApiError(401, 'authentication_error', 'api_key_expired', 'This API key has expired'));
    if (!ipAllowed(req.ip ?? '', row.ip_allowlist)) {
      return next(
        new ApiError(403, 'permission_error', 'ip_not_allowed', `Requests from ${req.ip} are not allowed for this API key`),
      );
    }
    req.auth = {
      keyId: row.id,
      merchantId: row.merchant_id,
      livemode: row.livemode,
      scopes: row.scopes,
      underpaymentToleranceBps: row.underpayment_tolerance_bps,
    };
    next();
  };
}

/** Every listed scope is needed: a route that answers with data needs `read` besides its own scope. */
export function requireScope(...scopes: ApiScope[]): RequestHandler {
  return (req, _res, next) => {
    const missing = scopes.find((s) => !req.auth?.scopes.includes(s));
    if (!missing) return next();
    next(new ApiError(403, 'permission_error', 'insufficient_scope', `This API key lacks the "${missing}" scope`));
  };
}

export function authOf(req: Request): AuthContext {
  if (!req.auth) throw new Error('route mounted without authenticate()');
  return req.auth;
}
