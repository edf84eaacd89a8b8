/**
 * The index generation record (chunk-layout.ts in `@keel/vector-store`): which collection serves
 * searches and which one is being built, one record per deployment. Every change is a conditional
 * update on `revision` that bumps it, so of two replicas acting on the same state only one wins
 * (the other reads the record again and finds the work done): two replicas never both start a
 * build, both run it, or both switch.
 */
import { type Collection, type DocumentStore, DuplicateKeyError } from '@keel/doc-store';
import {
  type BuildProgress,
  CHUNK_INDEX_GENERATION_ID,
  chunkCollectionName,
  type EmbedderSpec,
  INDEX_GENERATIONS_COLLECTION,
  type IndexBuild,
  type IndexGeneration,
  type IndexGenerationRecord,
} from '@keel/vector-store';

export function sameEmbedder(a: EmbedderSpec, b: EmbedderSpec): boolean {
  return a.id === b.id && a.dimensions === b.dimensions;
}

/** Updates lost to another replica are retried this many times before giving up for this round. */
const MAX_ATTEMPTS = 20;

export function emptyProgress(): BuildProgress {
  return {
    documentsTotal: 0,
    documentsScanned: 0,
    chunksReindexed: 0,
    documentsSkipped: 0,
    pass: 1,
    passChanges: 0,
    cursor: null,
  };
}

export class IndexGenerations {
  constructor(
    private readonly collection: Collection<IndexGenerationRecord>,
    private readonly now: () => number = Date.now,
  ) {}

  static async open(store: DocumentStore, now?: () => number): Promise<IndexGenerations> {
    return new IndexGenerations(await store.collection<IndexGenerationRecord>(INDEX_GENERATIONS_COLLECTION), now);
  }

  get(): Promise<IndexGenerationRecord | null> {
    return this.collection.get(CHUNK_INDEX_GENERATION_ID);
  }

  /**
   * The record, created on first start: the generation `adopt` finds (what an earlier release
   * indexed), or an empty collection for the configured embedder.
   */
  async initialise(
    configured: EmbedderSpec,
    adopt: () => Promise<IndexGeneration | null>,
  ): Promise<IndexGenerationRecord> {
    const existing = await this.get();
    if (existing) return existing;
    const now = this.now();
    const active = (await adopt()) ?? { collection: chunkCollectionName(configured), embedder: configured };
    const record: IndexGenerationRecord = {
      id: CHUNK_INDEX_GENERATION_ID,
      revision: 1,
      active: { ...active, since: now },
      building: null,
      retired: null,
      updatedAt: now,
    };
    try {
      await this.collection.insert(record);
      return record;
    } catch (error) {
      // Another replica created it first: theirs stands.
      if (!(error instanceof DuplicateKeyError)) throw error;
      return (await this.get()) as IndexGenerationRecord;
    }
  }

  /**
   * Brings the record in line with the configured embedder: nothing when it is active or being
   * built; a new build when it is neither (a build for another model is abandoned and its
   * collection retired); the build cancelled when the configuration went back to the active model.
   */
  plan(configured: EmbedderSpec): Promise<IndexGenerationRecord> {
    return this.change((record) => {
      const now = this.now();
      if (sameEmbedder(record.active.embedder, configured)) {
        if (!record.building) return null;
        return { building: null, retired: { ...generationOf(record.building), dropAfter: now } };
      }
      if (record.building && sameEmbedder(record.building.embedder, configured)) return null;
      const build: IndexBuild = {
        collection: chunkCollectionName(configured),
        embedder: configured,
        startedAt: now,
        updatedAt: now,
        progress: emptyProgress(),
        lease: null,
      };
      return {
        building: build,
        ...(record.building ? { retired: { ...generationOf(record.building), dropAfter: now } } : {}),
      };
    }).then((result) => result.record);
  }

  /**
   * Takes (or renews) the build for `owner` until `now + leaseMs`. Null when there is no build, or
   * another replica holds it and its claim has not lapsed.
   */
  async claim(owner: string, leaseMs: number): Promise<IndexGenerationRecord | null> {
    const result = await this.change((record) => {
      const build = record.building;
      if (!build) return null;
      const lease = build.lease;
      if (lease && lease.owner !== owner && lease.until > this.now()) return null;
      return { building: { ...build, lease: { owner, until: this.now() + leaseMs } } };
    });
    return result.changed ? result.record : null;
  }

  /** Records progress if `owner` still holds the build of `collection`; null when it lost it. */
  async saveProgress(
    owner: string,
    collection: string,
    progress: BuildProgress,
    leaseMs: number,
  ): Promise<IndexGenerationRecord | null> {
    const result = await this.change((record) => {
      const build = record.building;
      if (!build || build.collection !== collection || build.lease?.owner !== owner) return null;
      const now = this.now();
      return { building: { ...build, progress, updatedAt: now, lease: { owner, until: now + leaseMs } } };
    });
    return result.changed ? result.record : null;
  }

  /**
   * The switch: the build becomes active and the old active is retired (dropped after
   * `graceMs`, while readers that have not seen the switch yet finish on it). One atomic update;
   * null when `owner` no longer holds the build.
   */
  async switchOver(owner: string, collection: string, graceMs: number): Promise<IndexGenerationRecord | null> {
    const result = await this.change((record) => {
      const build = record.building;
      if (!build || build.collection !== collection || build.lease?.owner !== owner) return null;
      const now = this.now();
      return {
        active: { ...generationOf(build), since: now },
        building: null,
        retired: { ...generationOf(record.active), dropAfter: now + graceMs },
      };
    });
    return result.changed ? result.record : null;
  }

  /** Forgets the retired generation once its collection is emptied. */
  async clearRetired(collection: string): Promise<void> {
    await this.change((record) => (record.retired?.collection === collection ? { retired: null } : null));
  }

  /**
   * Applies `decide`'s changes to the current record with a conditional update, reading it again
   * whenever another replica changed it in between. `decide` returns null for "nothing to do".
   */
  private async change(
    decide: (record: IndexGenerationRecord) => Partial<IndexGenerationRecord> | null,
  ): Promise<{ record: IndexGenerationRecord; changed: boolean }> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const record = await this.get();
      if (!record) throw new Error('the index generation record is missing: initialise() runs first');
      const changes = decide(record);
      if (!changes) return { record, changed: false };
      const updated = await this.collection.updateIf(
        record.id,
        { revision: record.revision },
        { ...changes, revision: record.revision + 1, updatedAt: this.now() },
      );
      if (updated) return { record: updated, changed: true };
    }
    throw new Error('the index generation record kept changing under this update; it is retried later');
  }
}

function generationOf(generation: IndexGeneration): IndexGeneration {
  return { collection: generation.collection, embedder: generation.embedder };
}
