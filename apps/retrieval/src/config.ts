/** Retrieval's configuration: the only reader of the environment, validated once at start. */
import {
  bindHostEnvFields,
  durationMs,
  embeddingsEndpointOf,
  embeddingsEnvFields,
  internalAuthEnvFields,
  internalAuthOf,
  loadConfig,
  optionalUrl,
  portSchema,
  requireCompleteEmbeddingsEnv,
  requireInternalAuth,
  z,
} from '@keel/platform';
import { equalWeightFusion } from '@keel/vector-store';
import type { SearchFusion } from './search/score-fusion.js';

const SERVICE = 'retrieval';

/**
 * Hybrid fusion with the embedded word-vector embedder: z-scored scores, dense 0.3 : keyword 1,
 * chosen on Cranfield's odd-numbered queries by bench/fusion-weights.ts (method and weight) and
 * measured on queries that played no part in the choice: Cranfield's even ones and all of MEDLINE
 * (figures in apps/retrieval/README.md).
 */
export const WORD_VECTOR_FUSION: Readonly<SearchFusion> = Object.freeze({
  method: 'zscore',
  denseWeight: 0.3,
  keywordWeight: 1,
});

/** RRF with the word vectors, when asked for (`RETRIEVAL_FUSION=rrf`): the best RRF weights on the same measurement. */
export const WORD_VECTOR_RRF: Readonly<SearchFusion> = Object.freeze({
  method: 'rrf',
  denseWeight: 0.05,
  keywordWeight: 1,
});

/**
 * Hybrid fusion with a remote embedding model: classic equal-weight RRF. Not measured here (no
 * model runs on this machine), and the word-vector weights would all but mute a model that
 * competes with BM25; measure yours with bench/fusion-weights.ts and set the weights.
 */
export const REMOTE_EMBEDDER_FUSION: Readonly<SearchFusion> = Object.freeze({
  method: 'rrf',
  denseWeight: equalWeightFusion.denseWeight,
  keywordWeight: equalWeightFusion.keywordWeight,
});

/** A fusion weight: a non-negative decimal number; unset or empty means the default. */
const fusionWeight = z
  .union([z.string(), z.number()])
  .optional()
  .transform((value, context): number | undefined => {
    if (value === undefined || String(value).trim() === '') return undefined;
    const text = String(value).trim();
    const weight = /^\d+(\.\d+)?$|^\.\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isFinite(weight)) {
      context.addIssue({ code: 'custom', message: 'expected a non-negative number such as 0.05 or 1' });
      return z.NEVER;
    }
    return weight;
  });

/** A whole number within bounds; unset or empty means the default. */
const boundedInt = (fallback: number, min: number, max: number) =>
  z
    .union([z.string(), z.number()])
    .optional()
    .transform((value, context): number => {
      if (value === undefined || String(value).trim() === '') return fallback;
      const text = String(value).trim();
      const number = /^\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!(number >= min && number <= max)) {
        context.addIssue({ code: 'custom', message: `expected a whole number between ${min} and ${max}` });
        return z.NEVER;
      }
      return number;
    });

const optionalText = z
  .string()
  .optional()
  .transform((value) => value?.trim() || undefined);

const schema = z
  .object({
    GRPC_PORT: portSchema(50051),
    HTTP_PORT: portSchema(8084),
    ...bindHostEnvFields,
    ...internalAuthEnvFields,
    QDRANT_URL: optionalUrl(),
    QDRANT_API_KEY: z.string().min(1).optional(),
    KEEL_DATA_DIR: z.string().min(1).default('.keel/data'),
    // Where ingestion keeps the index generation record (which collection serves, by which model).
    MONGODB_URL: optionalUrl(),
    MONGODB_DATABASE: z.string().min(1).default('keel_ingestion'),
    INDEX_REFRESH_MS: durationMs(2_000),
    ...embeddingsEnvFields,
    RETRIEVAL_DENSE_WEIGHT: fusionWeight,
    RETRIEVAL_KEYWORD_WEIGHT: fusionWeight,
    RETRIEVAL_FUSION: z
      .string()
      .optional()
      .transform((value) => value?.trim().toLowerCase() || undefined)
      .pipe(z.enum(['zscore', 'rrf'], { error: 'expected zscore or rrf' }).optional()),
    // A reranker (TEI, Cohere, Jina, ...): none unless RERANK_URL is set.
    RERANK_URL: optionalUrl({ protocols: ['http', 'https'] }),
    RERANK_API: z
      .string()
      .optional()
      .transform((value) => value?.trim().toLowerCase() || 'cohere')
      .pipe(z.enum(['cohere', 'tei'], { error: 'expected cohere (Cohere, Jina, vLLM, Infinity) or tei' })),
    RERANK_MODEL: optionalText,
    RERANK_API_KEY: optionalText,
    RERANK_TIMEOUT_MS: durationMs(2_000),
    RERANK_CANDIDATES: boundedInt(20, 1, 100),
  })
  .superRefine((env, context) => {
    if (env.RETRIEVAL_DENSE_WEIGHT === 0 && env.RETRIEVAL_KEYWORD_WEIGHT === 0) {
      for (const name of ['RETRIEVAL_DENSE_WEIGHT', 'RETRIEVAL_KEYWORD_WEIGHT'] as const) {
        context.addIssue({ code: 'custom', path: [name], message: 'the two fusion weights cannot both be 0' });
      }
    }
    // Queries must be embedded exactly as ingestion embedded the chunks: all three or none.
    requireCompleteEmbeddingsEnv(env, context);
    requireInternalAuth(env, context);
    if (env.RERANK_TIMEOUT_MS < 1) {
      context.addIssue({ code: 'custom', path: ['RERANK_TIMEOUT_MS'], message: 'must be at least 1 ms' });
    }
  })
  .transform((env) => {
    const embeddings = embeddingsEndpointOf(env);
    // The default weights follow the embedder they were (or were not) measured with.
    const defaults = embeddings ? REMOTE_EMBEDDER_FUSION : WORD_VECTOR_FUSION;
    // Weights mean different things under the two methods: each method has its own defaults.
    const method = env.RETRIEVAL_FUSION ?? defaults.method;
    const methodDefaults =
      method === defaults.method ? defaults : embeddings ? { denseWeight: 1, keywordWeight: 1 } : WORD_VECTOR_RRF;
    const fusion: SearchFusion = {
      method,
      denseWeight: env.RETRIEVAL_DENSE_WEIGHT ?? methodDefaults.denseWeight,
      keywordWeight: env.RETRIEVAL_KEYWORD_WEIGHT ?? methodDefaults.keywordWeight,
    };
    return {
      service: SERVICE,
      grpc: { port: env.GRPC_PORT, host: env.HOST },
      http: { port: env.HTTP_PORT, host: env.HOST },
      internalAuth: internalAuthOf(env),
      qdrant: env.QDRANT_URL ? { url: env.QDRANT_URL, apiKey: env.QDRANT_API_KEY } : undefined,
      dataDir: env.KEEL_DATA_DIR,
      mongo: env.MONGODB_URL
        ? { url: env.MONGODB_URL, database: env.MONGODB_DATABASE.replaceAll('-', '_') }
        : undefined,
      /** How soon searches follow a switch of index generation (the record is read at most this often). */
      index: { refreshMs: Math.max(env.INDEX_REFRESH_MS, 100) },
      embeddings,
      search: { fusion },
      rerank: env.RERANK_URL
        ? {
            url: env.RERANK_URL,
            api: env.RERANK_API,
            ...(env.RERANK_MODEL ? { model: env.RERANK_MODEL } : {}),
            ...(env.RERANK_API_KEY ? { apiKey: env.RERANK_API_KEY } : {}),
            timeoutMs: env.RERANK_TIMEOUT_MS,
            candidates: env.RERANK_CANDIDATES,
          }
        : undefined,
    };
  });

export type RetrievalConfig = z.infer<typeof schema>;

export function loadRetrievalConfig(env: NodeJS.ProcessEnv = process.env): RetrievalConfig {
  return loadConfig(schema, env);
}
