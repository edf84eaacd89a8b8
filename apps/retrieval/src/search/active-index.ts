/**
 * Which chunk collection searches read, and with which embedder queries are embedded: the active
 * generation of the index generation record that ingestion keeps (chunk-layout.ts in
 * `@keel/vector-store`). While ingestion re-indexes for a new model, the record still names the old
 * collection and the old model, so searches stay there; once it switches, this process follows
 * within `refreshMs` (the record is read again at most that often, on the searches that need it).
 *
 * Queries must be embedded by the model that embedded the chunks: the configured embedder when it
 * is the active one, else the active one built again from the record (the previous model, during a
 * change). A process that can build neither cannot search, and says so on readiness.
 */
import { type Logger, unavailable } from '@keel/platform';
import type { Embedder } from '@keel/text';
import { chunkCollectionName, type EmbedderSpec, type IndexGenerationRecord } from '@keel/vector-store';
import type { ChunkSearch } from './chunk-search.js';

export interface IndexGenerationReader {
  get(): Promise<IndexGenerationRecord | null>;
}

/** Builds the embedder a generation names, or null when this process cannot. */
export type EmbedderResolver = (spec: EmbedderSpec) => Promise<Embedder | null>;

export interface Serving {
  collection: string;
  embedder: Embedder;
}

export interface ActiveIndexOptions {
  /** Absent: no record is kept (a test, a reader alone): the configured embedder's collection serves. */
  reader?: IndexGenerationReader;
  configured: Embedder;
  resolve: EmbedderResolver;
  refreshMs: number;
  logger: Logger;
  now?: () => number;
}

export class ActiveIndex {
  private serving: Serving;
  private record: IndexGenerationRecord | null = null;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;
  private problem: string | null = null;
  private readonly resolved = new Map<string, Embedder | null>();
  private readonly now: () => number;

  constructor(private readonly options: ActiveIndexOptions) {
    this.now = options.now ?? Date.now;
    this.serving = { collection: chunkCollectionName(options.configured), embedder: options.configured };
    this.resolved.set(options.configured.id, options.configured);
  }

  /** The generation to search now. Throws `unavailable` when the active one cannot be searched here. */
  async current(): Promise<Serving> {
    if (this.now() - this.fetchedAt >= this.options.refreshMs) {
      this.refreshing ??= this.refresh().finally(() => {
        this.refreshing = undefined;
      });
      await this.refreshing;
    }
    if (this.problem) throw unavailable('index', this.problem, 'RETRIEVAL.INDEX_UNSERVABLE');
    return this.serving;
  }

  /** Readiness: the generation served, and whether the configured model is the active or the coming one. */
  async check(): Promise<{ ok: boolean; detail: string }> {
    try {
      const serving = await this.current();
      const configured = this.options.configured;
      const record = this.record;
      const known =
        !record || [record.active, record.building].some((generation) => generation?.embedder.id === configured.id);
      const detail =
        `${serving.collection} with ${serving.embedder.id}` +
        (this.options.reader && !record
          ? " (no index generation record yet: nothing indexed, or not ingestion's database)"
          : '');
      if (!known) {
        return {
          ok: false,
          detail: `${detail}; the configured embedder ${configured.id} is neither active nor being built (ingestion runs another model)`,
        };
      }
      return { ok: true, detail };
    } catch (error) {
      return { ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  private async refresh(): Promise<void> {
    const reader = this.options.reader;
    if (!reader) {
      this.fetchedAt = this.now();
      return;
    }
    let record: IndexGenerationRecord | null;
    try {
      record = await reader.get();
    } catch (error) {
      // The record's store is down: keep serving what was active (the switch is only delayed).
      this.options.logger.warn({ err: error }, 'could not read the index generation record; serving the last one read');
      this.fetchedAt = this.now();
      return;
    }
    this.fetchedAt = this.now();
    this.record = record;
    // Nothing indexed yet: the configured embedder's collection, where ingestion will write.
    if (!record) {
      this.serving = { collection: chunkCollectionName(this.options.configured), embedder: this.options.configured };
      this.problem = null;
      return;
    }
    const { active } = record;
    if (active.collection === this.serving.collection && active.embedder.id === this.serving.embedder.id) {
      this.problem = null;
      return;
    }
    const embedder = await this.embedderFor(active.embedder);
    if (!embedder) {
      this.problem =
        `the active collection ${active.collection} was embedded by ${active.embedder.id}, ` +
        `which this process cannot build (configured: ${this.options.configured.id})`;
      return;
    }
    if (this.serving.collection !== active.collection) {
      this.options.logger.info(
        { from: this.serving.collection, to: active.collection, embedder: embedder.id },
        'searches now read the active index generation',
      );
    }
    this.serving = { collection: active.collection, embedder };
    this.problem = null;
  }

  private async embedderFor(spec: EmbedderSpec): Promise<Embedder | null> {
    if (this.resolved.has(spec.id)) return this.resolved.get(spec.id) ?? null;
    let embedder = await this.options.resolve(spec).catch((error: unknown) => {
      this.options.logger.warn({ err: error, embedder: spec.id }, 'could not build the active embedder');
      return null;
    });
    if (embedder && (embedder.id !== spec.id || embedder.dimensions !== spec.dimensions)) embedder = null;
    this.resolved.set(spec.id, embedder);
    return embedder;
  }
}

/**
 * Searches the active generation (active-index.ts): one search per generation, made on first use;
 * a search that started before a switch finishes on the collection it started on.
 */
export function searchActiveGeneration(
  active: ActiveIndex,
  make: (collection: string, embedder: Embedder) => ChunkSearch,
): ChunkSearch {
  const searches = new Map<string, ChunkSearch>();
  return {
    async search(query) {
      const { collection, embedder } = await active.current();
      const key = `${collection}\u0000${embedder.id}`;
      let search = searches.get(key);
      if (!search) {
        search = make(collection, embedder);
        searches.set(key, search);
      }
      return search.search(query);
    },
  };
}
