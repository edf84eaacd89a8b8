/**
 * The `EMBEDDINGS_*` variables of every service that embeds text (ingestion, retrieval, the
 * gateway): one definition, so that the services that must embed alike also parse alike.
 * Unset means the embedded default; a remote OpenAI-compatible endpoint needs all of
 * `EMBEDDINGS_BASE_URL`, `EMBEDDINGS_MODEL` and `EMBEDDINGS_DIMENSIONS` (the width names the
 * vector collection and is checked on every response).
 */
import { z } from 'zod';
import { optionalUrl } from './schemas.js';

export const embeddingsEnvFields = {
  EMBEDDINGS_BASE_URL: optionalUrl(),
  EMBEDDINGS_MODEL: z.string().min(1).optional(),
  EMBEDDINGS_DIMENSIONS: z.coerce.number().int().min(1).max(65_536).optional(),
  EMBEDDINGS_API_KEY: z.string().min(1).optional(),
};

export interface EmbeddingsEnv {
  EMBEDDINGS_BASE_URL?: string | undefined;
  EMBEDDINGS_MODEL?: string | undefined;
  EMBEDDINGS_DIMENSIONS?: number | undefined;
  EMBEDDINGS_API_KEY?: string | undefined;
}

export interface EmbeddingsEndpoint {
  baseUrl: string;
  model: string;
  dimensions: number;
  apiKey: string | undefined;
}

const requiredTogether = ['EMBEDDINGS_BASE_URL', 'EMBEDDINGS_MODEL', 'EMBEDDINGS_DIMENSIONS'] as const;

/** For a schema's `superRefine`: names each missing variable when only some of the three are set. */
export function requireCompleteEmbeddingsEnv(env: EmbeddingsEnv, context: z.RefinementCtx): void {
  const given = requiredTogether.filter((name) => env[name] !== undefined);
  if (given.length === 0 || given.length === requiredTogether.length) return;
  for (const name of requiredTogether) {
    if (env[name] === undefined) {
      context.addIssue({
        code: 'custom',
        path: [name],
        message: `required when ${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} set`,
      });
    }
  }
}

/** The remote endpoint, or undefined for the embedded default. */
export function embeddingsEndpointOf(env: EmbeddingsEnv): EmbeddingsEndpoint | undefined {
  const { EMBEDDINGS_BASE_URL: baseUrl, EMBEDDINGS_MODEL: model, EMBEDDINGS_DIMENSIONS: dimensions } = env;
  if (!baseUrl || !model || !dimensions) return undefined;
  return { baseUrl, model, dimensions, apiKey: env.EMBEDDINGS_API_KEY };
}
