import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

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
  timeoutMs: number;
  /** Resolves and vets the host at connect time (live mode); the system resolver otherwise. */
  lookup?: LookupFunction;
  /** Aborts without producing a result: the worker is going away, not the receiver failing. */
  cancel?: AbortSignal;
}

/**
 * One HTTP POST of a webhook. Receiver failures (refused, timeout, non-2xx) come back as a result
 * so they count as attempts; only cancellation rejects.
 */
export function postWebhook(url: URL, body: string, headers: Record<string, string>, options: PostOptions): Promise<PostResult> {
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
    const timer = setTimeout(() => {
      finish({ ok: false, statusCode: null, error: `timed out after ${options.timeoutMs} ms`, responseSnippet: null });
      req.destroy();
    }, options.timeoutMs);
    const onCancel = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(options.cancel?.reason ?? new Error('delivery cancelled'));
    };
    if (options.cancel?.aborted) return onCancel();
    options.cancel?.addEventListener('abort', onCancel, { once: true });

    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
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
          responseSnippet: snippet.slice(0, RESPONSE_SNIPPET_CHARS) || null,
        });
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({
        ok: false,
        statusCode: null,
        error: `${err.code ?? 'error'}: ${err.message}`.slice(0, 500),
        responseSnippet: null,
      }),
    );
    req.end(body);
  });
}
