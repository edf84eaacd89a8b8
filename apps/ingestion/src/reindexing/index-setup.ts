/**
 * At start: the index generation record is created (adopting what an earlier release indexed) and
 * brought in line with the configured embedder, which starts a re-index when the model changed;
 * then the collections this replica writes exist, and the reindexer is ready to run.
 */
import type { DocumentStore } from '@keel/doc-store';
import type { Logger } from '@keel/platform';
import {
  type EmbedderSpec,
  type IndexGeneration,
  legacyChunkCollectionName,
  type VectorIndex,
} from '@keel/vector-store';
import type { IngestionRecords } from '../indexing/records.js';
import { type ConfiguredEmbedder, type EmbedderResolver, GenerationTargets } from './generation-targets.js';
import { IndexGenerations } from './index-generations.js';
import { type IndexStatusView, indexStatusView } from './index-status.js';
import { Reindexer, type ReindexSettings } from './reindexer.js';

export interface IndexSetupDeps {
  store: DocumentStore;
  records: IngestionRecords;
  vectors: VectorIndex;
  configured: ConfiguredEmbedder;
  resolve: EmbedderResolver;
  logger: Logger;
  owner: string;
  settings: ReindexSettings;
  now?: () => number;
}

export interface IndexSetup {
  generations: IndexGenerations;
  targets: GenerationTargets;
  reindexer: Reindexer;
  status(): Promise<IndexStatusView>;
}

export async function setUpIndexGenerations(deps: IndexSetupDeps): Promise<IndexSetup> {
  const { store, records, vectors, configured, logger } = deps;
  const generations = await IndexGenerations.open(store, deps.now);
  await generations.initialise(configured.spec, () => adoptIndexed(records, configured.spec));
  const record = await generations.plan(configured.spec);
  if (record.building) {
    logger.info(
      { from: record.active.embedder.id, to: record.building.embedder.id, collection: record.building.collection },
      'the embedding model changed: re-indexing in the background; searches stay on the active collection',
    );
  }
  const targets = new GenerationTargets(configured, deps.resolve, logger, record);
  await targets.update(record);
  // Deletes and mirrored writes reach each of them: none may be missing.
  const collections = new Map<string, number>([[targets.collection, configured.spec.dimensions]]);
  collections.set(record.active.collection, record.active.embedder.dimensions);
  if (record.building) collections.set(record.building.collection, record.building.embedder.dimensions);
  for (const [name, dimensions] of collections) await vectors.ensureCollection({ name, dimensions });

  const reindexer = new Reindexer({
    generations,
    targets,
    records,
    vectors,
    configured,
    logger,
    owner: deps.owner,
    settings: deps.settings,
    ...(deps.now ? { now: deps.now } : {}),
  });
  return {
    generations,
    targets,
    reindexer,
    async status() {
      const current = (await generations.get()) ?? targets.current;
      await targets.update(current);
      return indexStatusView(current, configured.spec, targets.unreachable());
    },
  };
}

/**
 * An install that indexed before generations were recorded: the collection and model its chunk
 * records name (the width-named collection of earlier releases) serve until a re-index replaces them.
 */
async function adoptIndexed(records: IngestionRecords, configured: EmbedderSpec): Promise<IndexGeneration | null> {
  const [chunk] = (await records.chunks.find({ limit: 1 })).items;
  if (!chunk) return null;
  const same = chunk.embedder === configured.id;
  const dimensions = chunk.embedderDimensions ?? configured.dimensions;
  return {
    collection: chunk.collection ?? legacyChunkCollectionName(dimensions),
    embedder: same ? configured : { id: chunk.embedder, dimensions, endpoint: null },
  };
}
