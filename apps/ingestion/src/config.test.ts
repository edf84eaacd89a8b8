import { ConfigError } from '@keel/platform';
import { testInternalAuthEnv } from '@keel/platform/testing';
import { describe, expect, it } from 'vitest';
import { loadIngestionConfig, sizeInBytes } from './config.js';

/** What every start needs now: a key (there is no default one) and, with the scan on, an internal token. */
const required = { KEEL_API_KEYS: 'acme-key=acme', ...testInternalAuthEnv };

describe('ingestion configuration', () => {
  it('defaults to embedded adapters, port 8081 and the policy scan on', () => {
    const config = loadIngestionConfig(required);
    expect(config).toMatchObject({
      http: { port: 8081, host: '127.0.0.1', bodyLimit: '5mb' },
      kafka: undefined,
      mongo: undefined,
      qdrant: undefined,
      embeddings: undefined,
      dataDir: '.keel/data',
      policy: { address: '127.0.0.1:50052', scan: true, deadlineMs: 3000 },
      apiKeys: [{ key: 'acme-key', tenantId: 'acme', aclGroups: [] }],
      // The body may be 5 MB, but no text larger than one policy Scan takes is promised a 202.
      maxTextBytes: 3_000_000,
      consumerGroup: 'keel-ingestion',
      embedBatchSize: 32,
      retry: { maxAttempts: 10, initialBackoffMs: 500, maxBackoffMs: 30_000 },
    });
  });

  it('bounds the text by the body limit alone when documents are not scanned', () => {
    expect(loadIngestionConfig({ ...required, POLICY_SCAN: 'off' }).maxTextBytes).toBe(5 * 1024 * 1024);
    expect(loadIngestionConfig({ ...required, INGEST_MAX_BODY: '1mb' }).maxTextBytes).toBe(1024 * 1024);
  });

  it('selects the real adapters when their variables are set', () => {
    const config = loadIngestionConfig({
      ...required,
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
    expect(
      badVariables({
        ...required,
        HTTP_PORT: 'abc',
        INGEST_MAX_BODY: 'huge',
        INGEST_EMBED_BATCH: '0',
        INGEST_CONSUMER_GROUP: 'a b',
      }),
    ).toEqual(['HTTP_PORT', 'INGEST_CONSUMER_GROUP', 'INGEST_EMBED_BATCH', 'INGEST_MAX_BODY']);
  });

  it('refuses to start without an API key, and with the policy scan on without an internal identity', () => {
    expect(badVariables({})).toEqual(['KEEL_API_KEYS', 'KEEL_INTERNAL_TOKEN']);
    expect(badVariables({ KEEL_API_KEYS: 'k=acme', POLICY_SCAN: 'off' })).toEqual([]);
  });

  it('bounds the body: it is kept on the job until indexed, in a document of at most 16 MB', () => {
    expect(badVariables({ ...required, INGEST_MAX_BODY: '16mb' })).toEqual(['INGEST_MAX_BODY']);
    expect(badVariables({ ...required, INGEST_MAX_BODY: '15mb' })).toEqual([]);
    expect(loadIngestionConfig({ ...required, INGEST_MAX_BODY: '512KB' }).maxTextBytes).toBe(512 * 1024);
    expect(sizeInBytes('2mb')).toBe(2 * 1024 * 1024);
  });

  it('requires the remote embedder settings together', () => {
    expect(badVariables({ ...required, EMBEDDINGS_MODEL: 'bge-small' })).toEqual([
      'EMBEDDINGS_BASE_URL',
      'EMBEDDINGS_DIMENSIONS',
    ]);
    expect(badVariables({ ...required, CHUNK_MAX_TOKENS: '64', CHUNK_OVERLAP_TOKENS: '64' })).toEqual([
      'CHUNK_OVERLAP_TOKENS',
    ]);
  });
});
