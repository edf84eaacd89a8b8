/**
 * The background re-index after a change of embedding model: every current document version's
 * chunks, read from their lineage records (which keep the indexed text), are embedded by the new
 * model into the new collection a page of documents at a time, with bounded concurrency, while
 * searches keep being served from the active collection. Progress is saved in the index generation
 * record after each page, so a restart (of this or another replica) resumes where it stopped.
 *
 * A pass ends when every document was read; passes repeat until one finds nothing left to do
 * (writes made meanwhile by replicas that could not reach the new collection are caught there),
 * then the new collection becomes active in one conditional update and the old one is emptied
 * after a grace period. One replica at a time holds the build (a lease renewed with each page).
 */
import type { Logger } from '@keel/platform';
import type { Embedder } from '@keel/text';
import {
  type BuildProgress,
  type IndexBuild,
  type IndexedChunk,
  type IndexGenerationRecord,
  type VectorIndex,
  VectorStoreError,
  VectorStoreErrorCode,
} from '@keel/vector-store';
import { chunkPayload, documentChunksFilter } from '../indexing/chunk-payload.js';
import { ConcurrencyLimit } from '../indexing/concurrency-limit.js';
import { embeddingInput, UPSERT_BATCH } from '../indexing/embed-chunks.js';
import type { ChunkRecord, DocumentRecord, IngestionRecords } from '../indexing/records.js';
import type { ConfiguredEmbedder, GenerationTargets } from './generation-targets.js';
import { type IndexGenerations, sameEmbedder } from './index-generations.js';

export interface ReindexSettings {
  /** Documents read per page (and per progress save). */
  pageSize: number;
  /** Documents re-embedded at once. */
  concurrency: number;
  embedBatchSize: number;
  /** How long a replica's claim on the build lasts without renewal. */
  leaseMs: number;
  /** Between two looks at the record when there is nothing to do (also how soon writes follow a switch). */
  pollMs: number;
  /** After the switch, how long the old collection stays whole for readers that have not switched yet. */
  graceMs: number;
  /** Passes after which the build switches even if documents were still changing (their own jobs finish them). */
  maxPasses: number;
}

export interface ReindexerDeps {
  generations: IndexGenerations;
  targets: GenerationTargets;
  records: IngestionRecords;
  vectors: VectorIndex;
  configured: ConfiguredEmbedder;
  logger: Logger;
  /** Identifies this replica in the lease. */
  owner: string;
  settings: ReindexSettings;
  now?: () => number;
}

type DocumentOutcome = { kind: 'done'; chunks: number } | { kind: 'skipped' } | { kind: 'deferred' };

/** Chunk records read per page of one version. */
const CHUNK_PAGE = 1_000;

export class Reindexer {
  private readonly limit: ConcurrencyLimit;
  private readonly now: () => number;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly deps: ReindexerDeps) {
    this.limit = new ConcurrencyLimit(deps.settings.concurrency);
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /**
   * One step: follows the record, empties a retired collection when due, and advances the build
   * by one page when this replica holds it. Returns whether there is more to do right away.
   * Exposed so that tests drive the build step by step.
   */
  async step(): Promise<boolean> {
    const record = await this.deps.generations.get();
    if (!record) return false;
    await this.deps.targets.update(record);
    await this.dropRetired(record);
    const build = record.building;
    // Only a replica configured with the new model builds it.
    if (!build || !sameEmbedder(build.embedder, this.deps.configured.spec)) return false;
    const claimed = await this.deps.generations.claim(this.deps.owner, this.deps.settings.leaseMs);
    if (!claimed?.building) return false;
    await this.deps.targets.update(claimed);
    return this.advance(claimed.building);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let more = false;
      try {
        more = await this.step();
      } catch (error) {
        // A dependency is down: the build waits, its progress is saved up to the last page.
        this.deps.logger.warn({ err: error }, 're-index step failed; retried');
      }
      if (!more && !this.stopped) await this.sleep(this.deps.settings.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref?.();
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async advance(build: IndexBuild): Promise<boolean> {
    const { records, vectors, generations, settings, owner, logger } = this.deps;
    await vectors.ensureCollection({ name: build.collection, dimensions: build.embedder.dimensions });
    const progress: BuildProgress = { ...build.progress, passChanges: build.progress.passChanges ?? 0 };
    const current = { currentVersion: { $exists: true } };
    if (!progress.cursor && progress.documentsScanned === 0) {
      progress.documentsTotal = await records.documents.count(current);
    }
    const page = await records.documents.find({
      where: current,
      limit: settings.pageSize,
      ...(progress.cursor ? { cursor: progress.cursor } : {}),
    });
    const outcomes = await Promise.all(
      page.items.map((document) => this.limit.run(() => this.reindexDocument(document, build))),
    );
    for (const outcome of outcomes) {
      if (outcome.kind === 'done') {
        progress.chunksReindexed += outcome.chunks;
        progress.passChanges = (progress.passChanges ?? 0) + outcome.chunks;
      } else if (outcome.kind === 'skipped') {
        progress.documentsSkipped += 1;
      } else {
        progress.passChanges = (progress.passChanges ?? 0) + 1;
      }
    }
    progress.documentsScanned += page.items.length;
    if (page.nextCursor) {
      progress.cursor = page.nextCursor;
      return (await generations.saveProgress(owner, build.collection, progress, settings.leaseMs)) !== null;
    }

    const settled = progress.passChanges === 0;
    if (settled || progress.pass >= settings.maxPasses) {
      // The last pass's counts stay visible until the switch.
      progress.cursor = null;
      const saved = await generations.saveProgress(owner, build.collection, progress, settings.leaseMs);
      if (!saved) return false;
      if (!settled) {
        logger.warn(
          { collection: build.collection, passes: progress.pass },
          'documents were still changing after the last re-index pass; switching (their own jobs write the new collection)',
        );
      }
      if (progress.documentsSkipped > 0) {
        logger.warn(
          { collection: build.collection, documents: progress.documentsSkipped },
          'documents indexed before chunk text was kept were not re-indexed: submit them again',
        );
      }
      const switched = await generations.switchOver(owner, build.collection, settings.graceMs);
      if (switched) {
        await this.deps.targets.update(switched);
        logger.info(
          { collection: build.collection, embedder: build.embedder.id, chunks: progress.chunksReindexed },
          'the re-indexed collection is now active',
        );
      }
      return false;
    }
    // Another pass catches what changed during this one.
    const next: BuildProgress = {
      ...progress,
      pass: progress.pass + 1,
      cursor: null,
      documentsScanned: 0,
      documentsSkipped: 0,
      passChanges: 0,
    };
    return (await generations.saveProgress(owner, build.collection, next, settings.leaseMs)) !== null;
  }

  /**
   * Re-embeds one document's current version into the build's collection, unless its chunks are
   * there already. A version changing underneath is left to its own job: what was written here is
   * removed and the document is counted as changed, so the next pass looks at it again.
   */
  private async reindexDocument(document: DocumentRecord, build: IndexBuild): Promise<DocumentOutcome> {
    const version = document.currentVersion as string;
    if (changing(document, version)) return { kind: 'deferred' };
    const chunks = await this.chunksOf(document, version);
    const pending = chunks.filter((chunk) => chunk.collection !== build.collection);
    if (pending.length === 0) return { kind: 'done', chunks: 0 };
    if (pending.some((chunk) => typeof chunk.text !== 'string')) return { kind: 'skipped' };

    const { embedder } = this.deps.configured;
    const points = await this.embed(document, version, pending, embedder, build);
    for (let start = 0; start < points.length; start += UPSERT_BATCH) {
      await this.deps.vectors.upsert(build.collection, points.slice(start, start + UPSERT_BATCH));
    }
    const after = await this.deps.records.documents.get(document.id);
    if (!after || after.currentVersion !== version || changing(after, version)) {
      await this.deps.vectors.deleteWhere(
        build.collection,
        documentChunksFilter(document.tenantId, document.documentId, version),
      );
      return { kind: 'deferred' };
    }
    // Lineage follows; a record deleted meanwhile (the version was superseded) stays deleted.
    await Promise.all(
      pending.map((chunk) =>
        this.deps.records.chunks.updateIf(
          chunk.id,
          { documentVersion: version },
          { embedder: embedder.id, embedderDimensions: embedder.dimensions, collection: build.collection },
        ),
      ),
    );
    return { kind: 'done', chunks: pending.length };
  }

  private async chunksOf(document: DocumentRecord, version: string): Promise<ChunkRecord[]> {
    const chunks: ChunkRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.records.chunks.find({
        where: { tenantId: document.tenantId, documentId: document.documentId, documentVersion: version },
        orderBy: { field: 'index', direction: 'asc' },
        limit: CHUNK_PAGE,
        ...(cursor ? { cursor } : {}),
      });
      chunks.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return chunks;
  }

  private async embed(
    document: DocumentRecord,
    version: string,
    chunks: ChunkRecord[],
    embedder: Embedder,
    build: IndexBuild,
  ): Promise<IndexedChunk[]> {
    const batchSize = this.deps.settings.embedBatchSize;
    const points: IndexedChunk[] = [];
    for (let start = 0; start < chunks.length; start += batchSize) {
      const batch = chunks.slice(start, start + batchSize);
      const vectors = await embedder.embed(
        batch.map((chunk) => embeddingInput({ text: chunk.text as string, headingPath: chunk.headingPath })),
      );
      if (vectors.length !== batch.length || vectors.some((vector) => vector.length !== build.embedder.dimensions)) {
        throw new Error(
          `embedder ${embedder.id} returned ${vectors.length} vectors for ${batch.length} texts ` +
            `(expected ${build.embedder.dimensions} dimensions each)`,
        );
      }
      batch.forEach((chunk, offset) => {
        points.push({
          id: chunk.chunkId,
          vector: vectors[offset] as number[],
          text: chunk.text as string,
          payload: chunkPayload({
            tenantId: document.tenantId,
            documentId: document.documentId,
            documentVersion: version,
            chunkId: chunk.chunkId,
            chunkIndex: chunk.index,
            title: document.title,
            source: document.source,
            startOffset: chunk.startOffset,
            endOffset: chunk.endOffset,
            headingPath: chunk.headingPath,
            aclGroups: document.aclGroups,
            jobId: chunk.jobId,
            parser: chunk.parser,
            embedder: embedder.id,
            metadata: document.metadata,
            ...(chunk.pages ? { pages: chunk.pages } : {}),
          }),
        });
      });
    }
    return points;
  }

  /** Empties the retired collection once readers had time to move off it (the port has no drop). */
  private async dropRetired(record: IndexGenerationRecord): Promise<void> {
    const retired = record.retired;
    if (!retired || retired.dropAfter > this.now()) return;
    // A replica still configured with the retired model writes it: a replica on the new model empties it.
    if (retired.collection === this.deps.targets.collection) return;
    // Never empty what serves or is being built (a model changed back and forth).
    if (![record.active.collection, record.building?.collection].includes(retired.collection)) {
      try {
        await this.deps.vectors.deleteWhere(retired.collection, { must: [] });
      } catch (error) {
        if (!(error instanceof VectorStoreError && error.code === VectorStoreErrorCode.CollectionNotFound)) throw error;
      }
      this.deps.logger.info({ collection: retired.collection }, 'emptied the retired chunk collection');
    }
    await this.deps.generations.clearRetired(retired.collection);
  }
}

/** Another version of the document is being indexed: its own job decides what stays. */
function changing(document: DocumentRecord, version: string): boolean {
  return document.versions.some((entry) => entry.state === 'indexing' && entry.version !== version);
}
