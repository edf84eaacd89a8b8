/**
 * The pipeline's view of the index generation record (index-targets.ts): its own collection (the
 * configured embedder's), the other generation to keep current during a model change, and every
 * collection deletes must reach. Refreshed from the record by the reindexer's loop, so a replica
 * follows a build or a switch made by another within one refresh interval.
 */
import type { Logger } from '@keel/platform';
import type { Embedder } from '@keel/text';
import { chunkCollectionName, type EmbedderSpec, type IndexGenerationRecord } from '@keel/vector-store';
import type { IndexTarget, IndexTargetSet } from '../indexing/index-targets.js';
import { sameEmbedder } from './index-generations.js';

/** Builds the embedder a generation names, or null when this process cannot (another endpoint, say). */
export type EmbedderResolver = (spec: EmbedderSpec) => Promise<Embedder | null>;

export interface ConfiguredEmbedder {
  spec: EmbedderSpec;
  embedder: Embedder;
}

export class GenerationTargets implements IndexTargetSet {
  private record: IndexGenerationRecord;
  private readonly resolved = new Map<string, Embedder | null>();
  /** The collection this process writes and records in lineage: fixed for its lifetime. */
  readonly collection: string;

  constructor(
    configured: ConfiguredEmbedder,
    private readonly resolve: EmbedderResolver,
    private readonly logger: Logger,
    record: IndexGenerationRecord,
  ) {
    this.record = record;
    // An adopted collection keeps its name while its model stays configured.
    this.collection = sameEmbedder(record.active.embedder, configured.spec)
      ? record.active.collection
      : chunkCollectionName(configured.spec);
    this.resolved.set(configured.spec.id, configured.embedder);
  }

  get current(): IndexGenerationRecord {
    return this.record;
  }

  /** Takes a newer record; builds the embedders of generations other than this process's own. */
  async update(record: IndexGenerationRecord): Promise<void> {
    for (const generation of [record.active, record.building]) {
      if (!generation || this.resolved.has(generation.embedder.id)) continue;
      const embedder = await this.resolve(generation.embedder).catch((error: unknown) => {
        this.logger.warn({ err: error, embedder: generation.embedder.id }, 'could not build an embedder');
        return null;
      });
      if (
        embedder &&
        (embedder.id !== generation.embedder.id || embedder.dimensions !== generation.embedder.dimensions)
      ) {
        this.logger.warn({ embedder: generation.embedder.id, built: embedder.id }, 'built another embedder than named');
        this.resolved.set(generation.embedder.id, null);
      } else {
        if (!embedder) {
          this.logger.warn(
            { embedder: generation.embedder.id, collection: generation.collection },
            'writes cannot reach this generation: its embedder cannot be built here (a model change runs on replicas configured with the new model)',
          );
        }
        this.resolved.set(generation.embedder.id, embedder);
      }
    }
    this.record = record;
  }

  mirrors(): readonly IndexTarget[] {
    const targets: IndexTarget[] = [];
    for (const generation of [this.record.active, this.record.building]) {
      if (!generation || generation.collection === this.collection) continue;
      const embedder = this.resolved.get(generation.embedder.id);
      if (embedder) targets.push({ collection: generation.collection, embedder });
    }
    return targets;
  }

  collections(): readonly string[] {
    const { active, building, retired } = this.record;
    const names = [this.collection, active.collection, building?.collection, retired?.collection];
    return [...new Set(names.filter((name): name is string => name !== undefined))];
  }

  /** Generations this process writes to but cannot embed for (readiness reports them). */
  unreachable(): string[] {
    return [this.record.active, this.record.building]
      .filter((generation) => generation && generation.collection !== this.collection)
      .filter((generation) => !this.resolved.get(generation?.embedder.id ?? ''))
      .map((generation) => `${generation?.collection} (${generation?.embedder.id})`);
  }
}
