import { ConfigError } from '@keel/platform';
import { testInternalAuthEnv } from '@keel/platform/testing';
import { describe, expect, it } from 'vitest';
import {
  loadRetrievalConfig as loadConfigFrom,
  REMOTE_EMBEDDER_FUSION,
  WORD_VECTOR_FUSION,
  WORD_VECTOR_RRF,
} from './config.js';

/** Every environment below has the internal token, unless a test says otherwise. */
const loadRetrievalConfig = (env: NodeJS.ProcessEnv) => loadConfigFrom({ ...testInternalAuthEnv, ...env });

describe('retrieval configuration', () => {
  it('defaults to gRPC 50051, HTTP 8084 on loopback and the embedded index and embedder', () => {
    expect(loadRetrievalConfig({})).toMatchObject({
      grpc: { port: 50051, host: '127.0.0.1' },
      http: { port: 8084, host: '127.0.0.1' },
      internalAuth: { token: testInternalAuthEnv.KEEL_INTERNAL_TOKEN },
      qdrant: undefined,
      embeddings: undefined,
      dataDir: '.keel/data',
      search: { fusion: { method: 'zscore', denseWeight: 0.3, keywordWeight: 1 } },
      rerank: undefined,
    });
    expect(loadRetrievalConfig({}).search.fusion).toEqual(WORD_VECTOR_FUSION);
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
    // The word-vector weights were measured for the embedded embedder only: a model gets classic RRF.
    expect(config.search.fusion).toEqual({ method: 'rrf', denseWeight: 1, keywordWeight: 1 });
    expect(config.search.fusion).toEqual(REMOTE_EMBEDDER_FUSION);
  });

  it('takes the fusion weights from the environment, each defaulting on its own', () => {
    const fusion = (env: Record<string, string>) => loadRetrievalConfig(env).search.fusion;
    expect(fusion({ RETRIEVAL_DENSE_WEIGHT: '0.4', RETRIEVAL_KEYWORD_WEIGHT: '2' })).toEqual({
      method: 'zscore',
      denseWeight: 0.4,
      keywordWeight: 2,
    });
    expect(fusion({ RETRIEVAL_DENSE_WEIGHT: '0' })).toEqual({ method: 'zscore', denseWeight: 0, keywordWeight: 1 });
    expect(fusion({ RETRIEVAL_KEYWORD_WEIGHT: ' .5 ' })).toEqual({
      method: 'zscore',
      denseWeight: 0.3,
      keywordWeight: 0.5,
    });
    // Helm renders unset values as "": the default applies.
    expect(fusion({ RETRIEVAL_DENSE_WEIGHT: '', RETRIEVAL_KEYWORD_WEIGHT: ' ' })).toEqual(WORD_VECTOR_FUSION);
  });

  it('switches the fusion method, each with its own default weights', () => {
    const fusion = (env: Record<string, string>) => loadRetrievalConfig(env).search.fusion;
    expect(fusion({ RETRIEVAL_FUSION: 'rrf' })).toEqual(WORD_VECTOR_RRF);
    expect(fusion({ RETRIEVAL_FUSION: ' ZScore ' })).toEqual(WORD_VECTOR_FUSION);
    expect(fusion({ RETRIEVAL_FUSION: 'rrf', RETRIEVAL_DENSE_WEIGHT: '0.2' })).toEqual({
      method: 'rrf',
      denseWeight: 0.2,
      keywordWeight: 1,
    });
    const remote = {
      EMBEDDINGS_BASE_URL: 'http://tei:8080/v1',
      EMBEDDINGS_MODEL: 'bge-small',
      EMBEDDINGS_DIMENSIONS: '384',
    };
    expect(fusion({ ...remote, RETRIEVAL_FUSION: 'zscore' })).toEqual({
      method: 'zscore',
      denseWeight: 1,
      keywordWeight: 1,
    });
    expect(badVariables({ RETRIEVAL_FUSION: 'max' })).toEqual(['RETRIEVAL_FUSION']);
  });

  it('has no reranker unless RERANK_URL is set, then reads its settings', () => {
    expect(loadRetrievalConfig({ RERANK_MODEL: 'rerank-v3.5' }).rerank).toBeUndefined();
    expect(loadRetrievalConfig({ RERANK_URL: 'http://tei:8080/rerank', RERANK_API: 'TEI' }).rerank).toEqual({
      url: 'http://tei:8080/rerank',
      api: 'tei',
      timeoutMs: 2000,
      candidates: 20,
    });
    expect(
      loadRetrievalConfig({
        RERANK_URL: 'https://api.cohere.com/v2/rerank',
        RERANK_MODEL: 'rerank-v3.5',
        RERANK_API_KEY: 'secret',
        RERANK_TIMEOUT_MS: '1s',
        RERANK_CANDIDATES: '40',
      }).rerank,
    ).toEqual({
      url: 'https://api.cohere.com/v2/rerank',
      api: 'cohere',
      model: 'rerank-v3.5',
      apiKey: 'secret',
      timeoutMs: 1000,
      candidates: 40,
    });
    expect(badVariables({ RERANK_URL: 'ftp://x/rerank' })).toEqual(['RERANK_URL']);
    expect(badVariables({ RERANK_URL: 'http://x/rerank', RERANK_API: 'openai' })).toEqual(['RERANK_API']);
    expect(badVariables({ RERANK_URL: 'http://x/rerank', RERANK_CANDIDATES: '101' })).toEqual(['RERANK_CANDIDATES']);
    expect(badVariables({ RERANK_URL: 'http://x/rerank', RERANK_CANDIDATES: '0' })).toEqual(['RERANK_CANDIDATES']);
    expect(badVariables({ RERANK_URL: 'http://x/rerank', RERANK_TIMEOUT_MS: '0' })).toEqual(['RERANK_TIMEOUT_MS']);
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

  it('refuses to start without an internal identity, or with half of the mTLS files', () => {
    expect(() => loadConfigFrom({})).toThrow(/KEEL_INTERNAL_TOKEN: internal gRPC calls need an identity/);
    expect(() => loadConfigFrom({ KEEL_INTERNAL_TOKEN: 'short' })).toThrow(/KEEL_INTERNAL_TOKEN: use a random secret/);
    try {
      loadConfigFrom({ KEEL_GRPC_TLS_CERT: '/tls/tls.crt' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect((error as ConfigError).issues.map((issue) => issue.variable).sort()).toEqual([
        'KEEL_GRPC_TLS_CA',
        'KEEL_GRPC_TLS_KEY',
      ]);
    }
    expect(
      loadConfigFrom({ KEEL_GRPC_TLS_CERT: '/tls/c', KEEL_GRPC_TLS_KEY: '/tls/k', KEEL_GRPC_TLS_CA: '/tls/ca' })
        .internalAuth,
    ).toEqual({ tls: { certFile: '/tls/c', keyFile: '/tls/k', caFile: '/tls/ca' } });
  });

  it('names a bad port', () => {
    expect(badVariables({ GRPC_PORT: '70000' })).toEqual(['GRPC_PORT']);
  });

  it('names bad fusion weights', () => {
    for (const bad of ['-1', 'abc', '1e3', 'Infinity', 'NaN', '0x1', '1.', '1,5']) {
      expect(badVariables({ RETRIEVAL_DENSE_WEIGHT: bad }), bad).toEqual(['RETRIEVAL_DENSE_WEIGHT']);
    }
    expect(badVariables({ RETRIEVAL_KEYWORD_WEIGHT: '-0.5' })).toEqual(['RETRIEVAL_KEYWORD_WEIGHT']);
    expect(badVariables({ RETRIEVAL_DENSE_WEIGHT: '0', RETRIEVAL_KEYWORD_WEIGHT: '0.0' })).toEqual([
      'RETRIEVAL_DENSE_WEIGHT',
      'RETRIEVAL_KEYWORD_WEIGHT',
    ]);
  });

  it('requires the embedder settings together', () => {
    expect(badVariables({ EMBEDDINGS_DIMENSIONS: '384' })).toEqual(['EMBEDDINGS_BASE_URL', 'EMBEDDINGS_MODEL']);
  });
});
