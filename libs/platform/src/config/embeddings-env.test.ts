import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { embeddingsEndpointOf, embeddingsEnvFields, requireCompleteEmbeddingsEnv } from './embeddings-env.js';
import { loadConfig } from './load-config.js';

const schema = z.object(embeddingsEnvFields).superRefine(requireCompleteEmbeddingsEnv).transform(embeddingsEndpointOf);

describe('EMBEDDINGS_* configuration', () => {
  it('means the embedded default when unset, and a remote endpoint when complete', () => {
    expect(loadConfig(schema, {})).toBeUndefined();
    expect(
      loadConfig(schema, {
        EMBEDDINGS_BASE_URL: 'http://tei:8080/v1',
        EMBEDDINGS_MODEL: 'bge-small',
        EMBEDDINGS_DIMENSIONS: '384',
      }),
    ).toEqual({ baseUrl: 'http://tei:8080/v1', model: 'bge-small', dimensions: 384, apiKey: undefined });
  });

  it('names every missing variable when only some are set', () => {
    const attempt = () => loadConfig(schema, { EMBEDDINGS_MODEL: 'bge-small' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/EMBEDDINGS_BASE_URL: required when EMBEDDINGS_MODEL is set/);
    expect(attempt).toThrow(/EMBEDDINGS_DIMENSIONS: required when EMBEDDINGS_MODEL is set/);
  });
});
