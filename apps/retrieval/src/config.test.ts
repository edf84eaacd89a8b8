import { ConfigError } from '@keel/platform';
import { describe, expect, it } from 'vitest';
import { loadRetrievalConfig } from './config.js';

describe('retrieval configuration', () => {
  it('defaults to gRPC 50051, HTTP 8084 and the embedded index and embedder', () => {
    expect(loadRetrievalConfig({})).toMatchObject({
      grpc: { port: 50051, host: '0.0.0.0' },
      http: { port: 8084, host: '0.0.0.0' },
      qdrant: undefined,
      embeddings: undefined,
      dataDir: '.keel/data',
    });
  });

  it('uses Qdrant and a remote embedder when configured', () => {
    const config = loadRetrievalConfig({
      QDRANT_URL: 'http://qdrant:6333',
      QDRANT_API_KEY: 'secret',
      EMBEDDINGS_BASE_URL: 'http://tei:8080/v1',
      EMBEDDINGS_MODEL: 'bge-small',
      EMBEDDINGS_DIMENSIONS: '384',
    });
    expect(config.qdrant).toEqual({ url: 'http://qdrant:6333', apiKey: 'secret' });
    expect(config.embeddings).toMatchObject({ baseUrl: 'http://tei:8080/v1', model: 'bge-small', dimensions: 384 });
  });

  function badVariables(env: Record<string, string>): string[] {
    try {
      loadRetrievalConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.issues.map((issue) => issue.variable).sort();
      throw error;
    }
    return [];
  }

  it('names a bad port', () => {
    expect(badVariables({ GRPC_PORT: '70000' })).toEqual(['GRPC_PORT']);
  });

  it('requires the embedder settings together', () => {
    expect(badVariables({ EMBEDDINGS_DIMENSIONS: '384' })).toEqual(['EMBEDDINGS_BASE_URL', 'EMBEDDINGS_MODEL']);
  });
});
