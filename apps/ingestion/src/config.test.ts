import { ConfigError } from '@keel/platform';
import { describe, expect, it } from 'vitest';
import { loadIngestionConfig } from './config.js';

describe('ingestion configuration', () => {
  it('defaults to embedded adapters, port 8081 and the policy scan on', () => {
    const config = loadIngestionConfig({});
    expect(config).toMatchObject({
      http: { port: 8081, host: '0.0.0.0', bodyLimit: '5mb' },
      kafka: undefined,
      mongo: undefined,
      qdrant: undefined,
      embeddings: undefined,
      dataDir: '.keel/data',
      policy: { address: '127.0.0.1:50052', scan: true, deadlineMs: 3000 },
      apiKeys: { spec: '', demoKey: 'keel-demo-key' },
      embedBatchSize: 32,
      retry: { maxAttempts: 10, initialBackoffMs: 500, maxBackoffMs: 30_000 },
    });
  });

  it('selects the real adapters when their variables are set', () => {
    const config = loadIngestionConfig({
      KAFKA_BROKERS: 'k1:9092, k2:9092',
      MONGODB_URL: 'mongodb://127.0.0.1:27017',
      MONGODB_DATABASE: 'keel-ingestion-test',
      QDRANT_URL: 'http://127.0.0.1:6333',
      EMBEDDINGS_BASE_URL: 'http://127.0.0.1:8000/v1',
      EMBEDDINGS_MODEL: 'bge-small',
      EMBEDDINGS_DIMENSIONS: '384',
      POLICY_SCAN: 'off',
    });
    expect(config.kafka).toEqual({ brokers: ['k1:9092', 'k2:9092'] });
    expect(config.mongo).toEqual({ url: 'mongodb://127.0.0.1:27017', database: 'keel_ingestion_test' });
    expect(config.qdrant?.url).toBe('http://127.0.0.1:6333');
    expect(config.embeddings).toMatchObject({ model: 'bge-small', dimensions: 384 });
    expect(config.policy.scan).toBe(false);
  });

  function badVariables(env: Record<string, string>): string[] {
    try {
      loadIngestionConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.issues.map((issue) => issue.variable).sort();
      throw error;
    }
    return [];
  }

  it('names every bad variable', () => {
    expect(badVariables({ HTTP_PORT: 'abc', INGEST_MAX_BODY: 'huge', INGEST_EMBED_BATCH: '0' })).toEqual([
      'HTTP_PORT',
      'INGEST_EMBED_BATCH',
      'INGEST_MAX_BODY',
    ]);
  });

  it('requires the remote embedder settings together', () => {
    expect(badVariables({ EMBEDDINGS_MODEL: 'bge-small' })).toEqual(['EMBEDDINGS_BASE_URL', 'EMBEDDINGS_DIMENSIONS']);
    expect(badVariables({ CHUNK_MAX_TOKENS: '64', CHUNK_OVERLAP_TOKENS: '64' })).toEqual(['CHUNK_OVERLAP_TOKENS']);
  });
});
