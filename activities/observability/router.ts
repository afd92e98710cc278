import { Router } from 'express';
import type { Registry } from 'prom-client';
import { checkReadiness, type ReadinessCheck } from './readiness';

export interface ObservabilityOptions {
  registry: Registry;
  checks: Record<string, ReadinessCheck>;
  /** Where the Temporal SDK serves its own Prometheus metrics; appended to /metrics. */
  temporalMetricsUrl?: string;
}

/**
 * `/healthz` (the process answers), `/readyz` (its dependencies answer: 503 otherwise, so a load
 * balancer stops sending it work) and `/metrics` (Prometheus), shared by the API and the worker.
 */
export function observabilityRouter(options: ObservabilityOptions): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  router.get('/readyz', async (_req, res) => {
    const readiness = await checkReadiness(options.checks);
    res.status(readiness.ready ? 200 : 503).json({ status: readiness.ready ? 'ready' : 'not_ready', checks: readiness.checks });
  });
  router.get('/metrics', async (_req, res) => {
    const own = await options.registry.metrics();
    const sdk = options.temporalMetricsUrl ? await fetchText(options.temporalMetricsUrl) : '';
    res.type(options.registry.contentType).send(sdk ? `${own}\n${sdk}` : own);
  });
  return router;
}

/** The SDK's metrics are best effort: a scrape still answers with ours if its endpoint is down. */
async function fetchText(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : '';
  } catch {
    return '';
  }
}
