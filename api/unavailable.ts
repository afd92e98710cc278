import { isGrpcServiceError, ServiceError } from '@temporalio/client';

/** gRPC's UNAVAILABLE: the Temporal server is down, restarting or unreachable. */
const GRPC_UNAVAILABLE = 14;
/** Socket failures of a server that is down or restarting. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
/**
 * PostgreSQL's own "not now" answers: the server shutting down or starting (57P01–57P03) and the
 * connection-exception class (08…).
 */
const POSTGRES_UNAVAILABLE = /^(57P0[1-3]|08[0-9A-Z]{3})$/;
/** What node-postgres says when the server vanishes under a query or no connection comes in time. */
const POOL_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect)/;

/**
 * Whether an error means a part Settle depends on (PostgreSQL, the Temporal server) is briefly out
 * of reach, not that the request or the code is wrong: the client is told to retry (503), and the
 * request changed nothing it could lose, since every change is idempotent.
 */
export function isDependencyUnavailable(err: unknown): boolean {
  // Duck-typed: errors from Node's own modules are not `instanceof Error` in every realm (Jest's).
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || POSTGRES_UNAVAILABLE.test(code))) return true;
  if (typeof message === 'string' && POOL_MESSAGES.test(message)) return true;
  const grpc = err instanceof ServiceError ? err.cause : err;
  return isGrpcServiceError(grpc) && grpc.code === GRPC_UNAVAILABLE;
}
