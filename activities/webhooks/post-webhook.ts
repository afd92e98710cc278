import http from 'node:http';
import https from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import { classifyAddress } from './check-url';

export const RESPONSE_SNIPPET_CHARS = 500;

export interface PostResult {
  /** 2xx within the timeout. */
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  responseSnippet: string | null;
}

export interface PostOptions {
  /** The whole request: connect, send, and the receiver's answer. */
  timeoutMs: number;
  /** Connecting alone; a host that silently drops packets fails fast instead of holding a slot. */
  connectTimeoutMs?: number;
  /** Resolves and vets the host at connect time (live mode); the system resolver otherwise. */
  lookup?: LookupFunction;
  /** Aborts without producing a result: the worker is going away, not the receiver failing. */
  cancel?: AbortSignal;
}

/**
 * A transport error as the delivery log shows it: the error code and a fixed wording, never the
 * system message, which names the address the host resolved to (possibly a private one).
 */
export function describeTransportError(code: string | undefined): string {
  const wording: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host lookup failed',
    ETIMEDOUT: 'connection timed out',
    EADDRNOTPUBLIC: 'host does not resolve to public addresses only',
    EPROTO: 'TLS handshake failed',
  };
  return `${code ?? 'error'}: ${(code && wording[code]) ?? 'request failed'}`;
}

/** Whether the answering peer is on the public internet; a private peer's body never reaches the log. */
function peerIsPublic(socket: Socket | null | undefined): boolean {
  const address = socket?.remoteAddress;
  return address !== undefined && classifyAddress(address) === 'public';
}

/**
 * One HTTP POST of a webhook. Receiver failures (refused, timeout, non-2xx) come back as a result
 * so they count as attempts; only cancellation rejects. The response body is kept (as a snippet)
 * only from a public peer: in test mode a private target is allowed, and its answer (a local
 * node's JSON-RPC reply, say) must not be readable through the delivery log.
 */
export function postWebhook(url: URL, body: string, headers: Record<string, string>, options: PostOptions): Promise<PostResult> {
  // Cancelled before it began (the worker shut down while the URL was checked): nothing is sent. A
  // request made only to be destroyed would emit 'socket hang up' before any listener is attached,
  // an uncaught exception that takes the whole worker down mid-shutdown.
  if (options.cancel?.aborted) return Promise.reject(cancellationReason(options.cancel));
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (r: Omit<PostResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.cancel?.removeEventListener('abort', onCancel);
      resolve({ ...r, latencyMs: elapsed() });
    };
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(url, {
      method: 'POST',
      headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
      lookup: options.lookup,
      agent: false,
    });
    // First, before anything can destroy the request: an error without a listener is uncaught.
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({
        ok: false,
        statusCode: null,
        error: describeTransportError(err.code),
        responseSnippet: null,
      }),
    );
    const timer = setTimeout(() => {
      finish({ ok: false, statusCode: null, error: `timed out after ${options.timeoutMs} ms`, responseSnippet: null });
      req.destroy();
    }, options.timeoutMs);
    if (options.connectTimeoutMs !== undefined) {
      const connectTimeoutMs = options.connectTimeoutMs;
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const connectTimer = setTimeout(() => {
          finish({ ok: false, statusCode: null, error: `connect timed out after ${connectTimeoutMs} ms`, responseSnippet: null });
          req.destroy();
        }, connectTimeoutMs);
        socket.once('connect', () => clearTimeout(connectTimer));
        socket.once('close', () => clearTimeout(connectTimer));
      });
    }
    const onCancel = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(cancellationReason(options.cancel!));
    };
    options.cancel?.addEventListener('abort', onCancel, { once: true });

    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const keepBody = peerIsPublic(res.socket);
      let snippet = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        snippet += chunk;
        // Enough read to record; the rest of a large body is not worth waiting for.
        if (snippet.length >= RESPONSE_SNIPPET_CHARS) {
          done();
          res.destroy();
        }
      });
      const done = () =>
        finish({
          ok: status >= 200 && status < 300,
          statusCode: status,
          error: status >= 200 && status < 300 ? null : `HTTP ${status}`,
          responseSnippet: (keepBody && snippet.slice(0, RESPONSE_SNIPPET_CHARS)) || null,
        });
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.end(body);
  });
}

const cancellationReason = (signal: AbortSignal): unknown => signal.reason ?? new Error('delivery cancelled');
