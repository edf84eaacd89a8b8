/**
 * `GET /v1/models` and `GET /v1/models/{id}` in OpenAI's shapes: every model the gateway serves,
 * chat and embedding models alike.
 */
import { type ApiKeyResolver, requireApiKey } from '@keel/platform';
import { Router } from 'express';
import { type ListedModel, type ModelCatalog, modelNotFound } from '../../models/model-catalog.js';

export function modelsRouter(deps: {
  catalog: ModelCatalog;
  apiKeys: ApiKeyResolver;
  /** Unix seconds reported as each model's `created`: when this gateway started serving it. */
  modelsCreated: number;
}): Router {
  const router = Router();
  router.use('/v1/models', requireApiKey(deps.apiKeys));

  const modelView = (model: ListedModel) => ({
    id: model.id,
    object: 'model' as const,
    created: deps.modelsCreated,
    owned_by: model.ownedBy,
  });

  router.get('/v1/models', (_req, res) => {
    res.json({ object: 'list', data: deps.catalog.list().map(modelView) });
  });

  router.get('/v1/models/:id', (req, res) => {
    const model = deps.catalog.describe(req.params.id);
    if (!model) throw modelNotFound(req.params.id);
    res.json(modelView(model));
  });
  return router;
}
