/** Retrieval's configuration: the only reader of the environment, validated once at start. */
import {
  bindHostEnvFields,
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
import { equalWeightFusion, type HybridFusion } from '@keel/vector-store';

const SERVICE = 'retrieval';

/**
 * Hybrid fusion with the embedded word-vector embedder: weighted RRF, k 60, chosen on Cranfield's
 * odd-numbered queries by bench/fusion-weights.ts. On the held-out even ones it scored nDCG@10
 * 0.333 against 0.334 for BM25 alone and 0.273 for equal weights: these vectors are too weak to
 * add much, so they only reorder what BM25 ranks about equally.
 */
export const WORD_VECTOR_FUSION: Readonly<HybridFusion> = Object.freeze({ denseWeight: 0.05, keywordWeight: 1 });

/**
 * Hybrid fusion with a remote embedding model: classic equal-weight RRF. Not measured here (no
 * model runs on this machine), and the word-vector weights would all but mute a model that
 * competes with BM25; measure yours with bench/fusion-weights.ts and set the weights.
 */
export const REMOTE_EMBEDDER_FUSION: Readonly<HybridFusion> = Object.freeze({
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

const schema = z
  .object({
    GRPC_PORT: portSchema(50051),
    HTTP_PORT: portSchema(8084),
    ...bindHostEnvFields,
    ...internalAuthEnvFields,
    QDRANT_URL: optionalUrl(),
    QDRANT_API_KEY: z.string().min(1).optional(),
    KEEL_DATA_DIR: z.string().min(1).default('.keel/data'),
    ...embeddingsEnvFields,
    RETRIEVAL_DENSE_WEIGHT: fusionWeight,
    RETRIEVAL_KEYWORD_WEIGHT: fusionWeight,
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
  })
  .transform((env) => {
    const embeddings = embeddingsEndpointOf(env);
    // The default weights follow the embedder they were (or were not) measured with.
    const defaults = embeddings ? REMOTE_EMBEDDER_FUSION : WORD_VECTOR_FUSION;
    const fusion: HybridFusion = {
      denseWeight: env.RETRIEVAL_DENSE_WEIGHT ?? defaults.denseWeight,
      keywordWeight: env.RETRIEVAL_KEYWORD_WEIGHT ?? defaults.keywordWeight,
    };
    return {
      service: SERVICE,
      grpc: { port: env.GRPC_PORT, host: env.HOST },
      http: { port: env.HTTP_PORT, host: env.HOST },
      internalAuth: internalAuthOf(env),
      qdrant: env.QDRANT_URL ? { url: env.QDRANT_URL, apiKey: env.QDRANT_API_KEY } : undefined,
      dataDir: env.KEEL_DATA_DIR,
      embeddings,
      search: { fusion },
    };
  });

export type RetrievalConfig = z.infer<typeof schema>;

export function loadRetrievalConfig(env: NodeJS.ProcessEnv = process.env): RetrievalConfig {
  return loadConfig(schema, env);
}
