/**
 * The composition root: the only file of this app that constructs adapters. A configured
 * endpoint means the real adapter, unset means the embedded default (`@keel/adapters`); a launcher
 * running several services in one process passes the infrastructure they share in `shared`, which
 * this app then neither creates nor closes.
 */
import { chooseEmbedder, chooseVectorIndex } from '@keel/adapters';
import type { Logger } from '@keel/platform';
import { callDependency } from '@keel/platform';
import type { RetrievalConfig } from './config.js';
import type { RetrievalDeps } from './service.js';

export interface ComposedRetrieval extends RetrievalDeps {
  /** Closes the adapters composed here (the service does not own them). */
  close(): Promise<void>;
}

export type SharedInfrastructure = Partial<Pick<RetrievalDeps, 'vectors' | 'embedder'>>;

export async function composeRetrieval(
  config: RetrievalConfig,
  logger: Logger,
  shared: SharedInfrastructure = {},
): Promise<ComposedRetrieval> {
  const vectors = shared.vectors ?? (await chooseVectorIndex({ qdrant: config.qdrant, dataDir: config.dataDir }));
  const embedder =
    shared.embedder ?? (await callDependency('embedder', () => chooseEmbedder({ embeddings: config.embeddings })));
  return {
    vectors,
    embedder,
    logger,
    close: async () => {
      if (!shared.vectors) await vectors.close();
    },
  };
}
