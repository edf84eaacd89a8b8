import { describeWithInfra, findQdrant } from '@keel/testing';
import { QdrantClient } from '@qdrant/js-client-rest';
import { describe, expect, it } from 'vitest';
import { describeVectorIndexContract } from '../testing/vector-index-contract.js';
import { createQdrantVectorIndex } from './qdrant-vector-index.js';

describe('qdrant vector index without a server', () => {
  it('reports itself unhealthy, and fails retryably, when Qdrant is unreachable', async () => {
    const index = createQdrantVectorIndex({ url: 'http://127.0.0.1:9', timeoutMs: 2_000 });
    expect(await index.health()).toMatchObject({ ok: false });
    await expect(index.ensureCollection({ name: 'unreachable', dimensions: 4 })).rejects.toMatchObject({
      code: 'VECTOR.UNAVAILABLE',
      retryable: true,
    });
    await index.close();
  });
});

describeWithInfra('qdrant vector index', await findQdrant(), ({ url }) => {
  const admin = new QdrantClient({ url, checkCompatibility: false });
  describeVectorIndexContract('qdrant', async () => createQdrantVectorIndex({ url }), {
    // The data lives in the server: a new client must see it.
    reopen: async () => createQdrantVectorIndex({ url }),
    dropCollection: async (name) => {
      await admin.deleteCollection(name);
    },
  });

  it('creates the dense and BM25 vectors and the payload indexes it filters on', async () => {
    const index = createQdrantVectorIndex({ url });
    const name = `schema_${Date.now().toString(36)}`;
    await index.ensureCollection({ name, dimensions: 3 });
    const info = await admin.getCollection(name);
    expect(info.config.params.vectors).toMatchObject({ dense: { size: 3, distance: 'Cosine' } });
    expect(info.config.params.sparse_vectors).toMatchObject({ bm25: { modifier: 'idf' } });
    expect(Object.keys(info.payload_schema).sort()).toEqual(['aclGroups', 'documentId', 'tenantId']);
    await admin.deleteCollection(name);
    await index.close();
  });
});
