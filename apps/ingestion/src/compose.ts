/**
 * The composition root: the only file of this app that constructs adapters. A configured
 * endpoint means the real adapter, unset means the embedded default (`@keel/adapters`); a launcher
 * running several services in one process passes the infrastructure they share in `shared`, which
 * this app then neither creates nor closes.
 */
import {
  chooseDocumentStore,
  chooseEmbedder,
  chooseEmbedderOf,
  chooseEventBus,
  chooseVectorIndex,
} from '@keel/adapters';
import type { Logger } from '@keel/platform';
import type { IngestionConfig } from './config.js';
import type { IngestionDeps } from './service.js';

export interface ComposedIngestion extends IngestionDeps {
  /** Closes the adapters composed here (the service does not own them). */
  close(): Promise<void>;
}

export type SharedInfrastructure = Partial<Pick<IngestionDeps, 'bus' | 'vectors' | 'embedder'>>;

export async function composeIngestion(
  config: IngestionConfig,
  logger: Logger,
  shared: SharedInfrastructure = {},
): Promise<ComposedIngestion> {
  const bus =
    shared.bus ?? chooseEventBus({ kafka: config.kafka, service: config.service, logger, dataDir: config.dataDir });
  const store = await chooseDocumentStore({ mongo: config.mongo, dataDir: config.dataDir, service: config.service });
  const vectors = shared.vectors ?? (await chooseVectorIndex({ qdrant: config.qdrant, dataDir: config.dataDir }));
  const embedder = shared.embedder ?? (await chooseEmbedder({ embeddings: config.embeddings }));
  return {
    bus,
    store,
    vectors,
    embedder,
    resolveEmbedder: (spec) => chooseEmbedderOf(spec, embedder, config.embeddings),
    logger,
    async close() {
      await Promise.allSettled([
        shared.bus ? undefined : bus.close(),
        store.close(),
        shared.vectors ? undefined : vectors.close(),
      ]);
    },
  };
}
