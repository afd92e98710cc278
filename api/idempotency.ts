import type { AuthContext } from './auth';
import { ApiError } from './errors';

interface IdempotentSnapshot {
  merchantId: string;
  livemode: boolean;
  requestFingerprint: string;
}

/**
 * A retried create request lands on the object the first request made. It answers only if the
 * object is the caller's and was made by the same request; otherwise the key (or external_id) was
 * reused for something else, a 409.
 */
export function requireSameRequest(
  snapshot: IdempotentSnapshot,
  auth: AuthContext,
  fingerprint: string,
  conflict: { code: string; message: string; param?: string },
): void {
  if (
    snapshot.merchantId === auth.merchantId &&
    snapshot.livemode === auth.livemode &&
    snapshot.requestFingerprint === fingerprint
  ) {
    return;
  }
  throw new ApiError(409, 'idempotency_error', conflict.code, conflict.message, conflict.param);
}
