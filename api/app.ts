import express, { Router, type Express } from 'express';
import { authenticate } from './auth';
import { checkoutRouter } from './checkout/router';
import type { ApiDeps } from './deps';
import { errorMiddleware, notFoundRoute } from './errors';
import { jsonBody } from './json-body';
import { perKeyRateLimit } from './rate-limit';
import { customersRouter } from './routes/customers';
import { depositsRouter } from './routes/deposits';
import { invoicesRouter } from './routes/invoices';
import { referenceRouter } from './openapi/reference-router';
import { createLogger } from '../activities/observability/logger';
import { createMetricsRegistry, httpRequestDuration } from '../activities/observability/metrics';
import { dependencyChecks } from '../activities/observability/readiness';
import { observabilityRouter, type ObservabilityOptions } from '../activities/observability/router';
import type { Logger } from 'pino';
import { requestContext } from './request-context';

/** Extra routers mounted beside the core ones (webhooks, withdrawals, ...), each under both prefixes. */
export type RouterFactory = (deps: ApiDeps) => Router;

/**
 * The HTTP API: validation, authentication and workflow calls only. Seed 000's `/v1/...` and seed
 * 004's `/api/v1/...` paths serve the same routes.
 */
export function createApp(
  deps: ApiDeps,
  options: {
    trustProxy?: false | number | string[];
    extraRouters?: RouterFactory[];
    /** Logs, metrics and readiness checks; by default the API's own, checking PostgreSQL and Temporal. */
    observability?: Partial<ObservabilityOptions> & { logger?: Logger };
  } = {},
): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? false);
  const registry = options.observability?.registry ?? createMetricsRegistry('api');
  app.use(requestContext(options.observability?.logger ?? createLogger('api'), httpRequestDuration(registry)));
  app.use(
    observabilityRouter({
      registry,
      checks: options.observability?.checks ?? dependencyChecks({ pool: deps.pool, temporal: deps.temporal }),
      temporalMetricsUrl: options.observability?.temporalMetricsUrl,
    }),
  );
  app.use(jsonBody());

  app.get('/health', (_req, res) => void res.json({ ok: true }));
  app.use(referenceRouter());
  // Shoppers' pages: outside the API-key router, the link's token is their only credential.
  app.use(checkoutRouter(deps));

  const v1 = Router();
  v1.use(authenticate(deps.pool));
  v1.use(perKeyRateLimit(deps));
  v1.use(invoicesRouter(deps));
  v1.use(customersRouter(deps));
  v1.use(depositsRouter(deps));
  for (const factory of options.extraRouters ?? []) v1.use(factory(deps));

  app.use('/v1', v1);
  app.use('/api/v1', v1);
  app.use(notFoundRoute);
  app.use(errorMiddleware);
  return app;
}
