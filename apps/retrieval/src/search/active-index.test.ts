import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, KeelError } from '@keel/platform';
import type { Embedder } from '@keel/text';
import {
  chunkCollectionName,
  type EmbedderSpec,
  type IndexGenerationRecord,
  type VectorIndex,
} from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActiveIndex, searchActiveGeneration } from './active-index.js';
import { createChunkSearch } from './chunk-search.js';
import type { SearchQuery } from './search-query.js';

/** Bag of hashed words at a given width; two instances are two different models. */
function hashingEmbedder(id: string, dimensions: number): Embedder & { calls: number } {
  return {
    id,
    dimensions,
    calls: 0,
    async embed(texts) {
      this.calls += 1;
      return texts.map((text) => {
        const vector = new Array<number>(dimensions).fill(0);
        for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
          const slot = createHash('sha256').update(`${id}:${word}`).digest().readUInt32BE(0) % dimensions;
          vector[slot] = (vector[slot] ?? 0) + 1;
        }
        const norm = Math.hypot(...vector) || 1;
        return vector.map((value) => value / norm);
      });
    },
  };
}

const modelA = hashingEmbedder('model-a', 16);
const modelB = hashingEmbedder('model-b', 24);
const spec = (embedder: Embedder): EmbedderSpec => ({
  id: embedder.id,
  dimensions: embedder.dimensions,
  endpoint: null,
});
const collectionA = chunkCollectionName(modelA);
const collectionB = chunkCollectionName(modelB);
const logger = createLogger('active-index-test', { level: 'silent' });

let directory: string;
let vectors: VectorIndex;

async function seed(collection: string, embedder: Embedder, documentId: string): Promise<void> {
  const text = 'Hotels are reimbursed up to 180 euros per night.';
  const [vector] = await embedder.embed([text]);
  await vectors.ensureCollection({ name: collection, dimensions: embedder.dimensions });
  await vectors.upsert(collection, [
    {
      id: `${documentId}:v1:0`,
      vector: vector as number[],
      text,
      payload: {
        tenantId: 'acme',
        documentId,
        documentVersion: 'v1',
        chunkId: `${documentId}:v1:0`,
        title: documentId,
        source: `s3://${documentId}`,
        startOffset: 0,
        endOffset: text.length,
        aclGroups: ['*'],
      },
    },
  ]);
}

function record(revision: number, changes: Partial<IndexGenerationRecord>): IndexGenerationRecord {
  return {
    id: 'chunks',
    revision,
    active: { collection: collectionA, embedder: spec(modelA), since: 1 },
    building: null,
    retired: null,
    updatedAt: revision,
    ...changes,
  };
}

const query: SearchQuery = {
  tenantId: 'acme',
  query: 'hotel night',
  topK: 5,
  aclGroups: [],
  mode: 'dense',
  filters: {},
  conditions: [],
  rerankCandidates: 0,
};

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'keel-active-index-'));
  vectors = await createEmbeddedVectorIndex({ directory });
  await seed(collectionA, modelA, 'indexed-by-a');
  await seed(collectionB, modelB, 'indexed-by-b');
});

afterAll(async () => {
  await vectors.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('the active index generation', () => {
  it('serves the old collection with the old model during a build, then follows the switch within the refresh bound', async () => {
    let clock = 0;
    let current = record(1, {
      building: {
        collection: collectionB,
        embedder: spec(modelB),
        startedAt: 1,
        updatedAt: 1,
        progress: { documentsTotal: 1, documentsScanned: 0, chunksReindexed: 0, documentsSkipped: 0, pass: 1 },
      },
    });
    // Retrieval already runs with the new model; it builds the old one from the record.
    const active = new ActiveIndex({
      reader: { get: async () => current },
      configured: modelB,
      resolve: async (wanted) => (wanted.id === modelA.id ? modelA : null),
      refreshMs: 2_000,
      logger,
      now: () => clock,
    });
    const search = searchActiveGeneration(active, (collection, embedder) =>
      createChunkSearch({
        vectors,
        collection,
        embedder,
        logger,
        fusion: { method: 'rrf', denseWeight: 1, keywordWeight: 1 },
      }),
    );

    const during = await search.search(query);
    expect(during.chunks.map((chunk) => chunk.documentId)).toEqual(['indexed-by-a']);
    expect(modelA.calls).toBeGreaterThan(0);
    expect(await active.check()).toEqual({ ok: true, detail: `${collectionA} with model-a` });

    // The switch: until the refresh bound passes, the record is not read again.
    current = record(2, { active: { collection: collectionB, embedder: spec(modelB), since: 2 } });
    clock += 1_999;
    expect((await search.search(query)).chunks.map((chunk) => chunk.documentId)).toEqual(['indexed-by-a']);
    clock += 1;
    const before = modelB.calls;
    expect((await search.search(query)).chunks.map((chunk) => chunk.documentId)).toEqual(['indexed-by-b']);
    expect(modelB.calls).toBe(before + 1);
  });

  it('serves the configured collection before anything was indexed', async () => {
    const active = new ActiveIndex({
      reader: { get: async () => null },
      configured: modelB,
      resolve: async () => null,
      refreshMs: 0,
      logger,
    });
    expect(await active.current()).toEqual({ collection: collectionB, embedder: modelB });
  });

  it('says so when the configured model is neither active nor being built, or the active one cannot be built', async () => {
    const elsewhere = new ActiveIndex({
      reader: { get: async () => record(1, {}) },
      configured: modelB,
      resolve: async (wanted) => (wanted.id === modelA.id ? modelA : null),
      refreshMs: 0,
      logger,
    });
    const check = await elsewhere.check();
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/model-b is neither active nor being built/);

    const stranded = new ActiveIndex({
      reader: { get: async () => record(1, {}) },
      configured: modelB,
      resolve: async () => null,
      refreshMs: 0,
      logger,
    });
    const failure = await stranded.current().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KeelError);
    expect((failure as KeelError).httpStatus).toBe(503);
    expect((await stranded.check()).detail).toMatch(/embedded by model-a, which this process cannot build/);
  });

  it('keeps serving the last generation read when the record cannot be read', async () => {
    let fail = false;
    const active = new ActiveIndex({
      reader: {
        get: async () => {
          if (fail) throw new Error('store down');
          return record(1, {});
        },
      },
      configured: modelA,
      resolve: async () => null,
      refreshMs: 0,
      logger,
    });
    expect((await active.current()).collection).toBe(collectionA);
    fail = true;
    expect((await active.current()).collection).toBe(collectionA);
  });
});
