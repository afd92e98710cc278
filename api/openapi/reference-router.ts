import { Router } from 'express';
import { buildOpenApiDocument } from './build-document';
import { DOCS_PAGE } from './docs-page';

/** `GET /openapi.json` and `GET /docs`: public, unauthenticated, mounted before the API routers. */
export function referenceRouter(): Router {
  const router = Router();
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;
  router.get('/openapi.json', (_req, res) => {
    document ??= buildOpenApiDocument();
    res.json(document);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(DOCS_PAGE);
  });
  return router;
}
