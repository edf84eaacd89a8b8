/** Ingestion's configuration: the only reader of the environment, validated once at start. */
import {
  apiKeyEnvFields,
  apiKeysOf,
  bindHostEnvFields,
  booleanFlag,
  csvList,
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
  requireSomeApiKey,
  z,
} from '@keel/platform';

const SERVICE = 'ingestion';

const positiveInt = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);

const sizeUnits = { b: 1, kb: 1024, mb: 1024 * 1024 } as const;

/** `512kb` → bytes, as express's body parser counts them (1 kb = 1024 b). */
/**
 * What one policy Scan takes: its text limit (3,000,000 characters) within gRPC's 4 MiB message,
 * with room for the redacted text of the response. apps/policy's request-limits.ts holds the same.
 */
export const MAX_SCANNABLE_TEXT_BYTES = 3_000_000;

export function sizeInBytes(size: string): number {
  const match = /^(\d+)(b|kb|mb)$/i.exec(size);
  if (!match) return Number.NaN;
  return Number(match[1]) * sizeUnits[(match[2] as string).toLowerCase() as keyof typeof sizeUnits];
}

/**
 * The largest body: a job keeps its request (the text) until it is indexed, and a MongoDB
 * document holds at most 16 MB.
 */
const MAX_BODY_BYTES = 15 * 1024 * 1024;

/** The largest upload: the file is held in memory while it is read and parsed. */
const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;

const schema = z
  .object({
    HTTP_PORT: portSchema(8081),
    ...bindHostEnvFields,
    KAFKA_BROKERS: csvList().optional(),
    MONGODB_URL: optionalUrl(),
    MONGODB_DATABASE: z.string().min(1).default(`keel_${SERVICE}`),
    QDRANT_URL: optionalUrl(),
    QDRANT_API_KEY: z.string().min(1).optional(),
    KEEL_DATA_DIR: z.string().min(1).default('.keel/data'),
    ...embeddingsEnvFields,
    POLICY_ADDRESS: z.string().min(1).default('127.0.0.1:50052'),
    POLICY_SCAN: booleanFlag(true),
    POLICY_DEADLINE_MS: durationMs(3000),
    ...apiKeyEnvFields,
    ...internalAuthEnvFields,
    INGEST_MAX_BODY: z
      .string()
      .regex(/^\d+(b|kb|mb)$/i, 'expected a size such as 512kb or 5mb')
      .refine((size) => {
        const bytes = sizeInBytes(size);
        // A malformed size is reported by the pattern above, once.
        return Number.isNaN(bytes) || (bytes >= 1024 && bytes <= MAX_BODY_BYTES);
      }, 'must be 1kb to 15mb')
      .default('5mb'),
    INGEST_CONSUMER_GROUP: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,200}$/, 'expected letters, digits, ".", "_" or "-"')
      .default('keel-ingestion'),
    INGEST_EMBED_BATCH: positiveInt(32, 2048),
    INGEST_BATCH_SIZE: positiveInt(64, 1000),
    INGEST_CONCURRENCY: positiveInt(16, 256),
    INGEST_RETRY_ATTEMPTS: positiveInt(10, 100),
    INGEST_RETRY_INITIAL_BACKOFF_MS: durationMs(500),
    INGEST_RETRY_MAX_BACKOFF_MS: durationMs(30_000),
    CHUNK_MAX_TOKENS: z.coerce.number().int().min(16).max(8192).optional(),
    CHUNK_OVERLAP_TOKENS: z.coerce.number().int().min(0).max(4096).optional(),
    // Files (upload, event bytes or URI): see the README's "Files" section.
    INGEST_MAX_UPLOAD: z
      .string()
      .regex(/^\d+(b|kb|mb)$/i, 'expected a size such as 512kb or 25mb')
      .refine((size) => {
        const bytes = sizeInBytes(size);
        return Number.isNaN(bytes) || (bytes >= 1024 && bytes <= MAX_UPLOAD_BYTES);
      }, 'must be 1kb to 200mb')
      .default('25mb'),
    INGEST_MAX_BATCH: positiveInt(100, 10_000),
    INGEST_MAX_PDF_PAGES: positiveInt(2_000, 100_000),
    INGEST_PARSE_TIMEOUT_MS: durationMs(60_000),
    INGEST_PARSE_WORKERS: positiveInt(1, 16),
    INGEST_FILE_ROOT: z.string().min(1).optional(),
    INGEST_FETCH_HOSTS: csvList().optional(),
    INGEST_FETCH_TIMEOUT_MS: durationMs(30_000),
    // A change of embedding model: see the README's "Changing the embedding model".
    INGEST_REINDEX_PAGE: positiveInt(100, 1000),
    INGEST_REINDEX_CONCURRENCY: positiveInt(4, 64),
    INGEST_REINDEX_GRACE_MS: durationMs(60_000),
    INDEX_REFRESH_MS: durationMs(2_000),
  })
  .superRefine((env, context) => {
    requireCompleteEmbeddingsEnv(env, context);
    requireSomeApiKey(env, context);
    // The policy scan is ingestion's only internal call.
    if (env.POLICY_SCAN) requireInternalAuth(env, context);
    if (
      env.CHUNK_MAX_TOKENS !== undefined &&
      env.CHUNK_OVERLAP_TOKENS !== undefined &&
      env.CHUNK_OVERLAP_TOKENS >= env.CHUNK_MAX_TOKENS
    ) {
      context.addIssue({
        code: 'custom',
        path: ['CHUNK_OVERLAP_TOKENS'],
        message: 'must be less than CHUNK_MAX_TOKENS',
      });
    }
  })
  .transform((env) => ({
    service: SERVICE,
    http: { port: env.HTTP_PORT, host: env.HOST, bodyLimit: env.INGEST_MAX_BODY.toLowerCase() },
    kafka: env.KAFKA_BROKERS && env.KAFKA_BROKERS.length > 0 ? { brokers: env.KAFKA_BROKERS } : undefined,
    mongo: env.MONGODB_URL ? { url: env.MONGODB_URL, database: env.MONGODB_DATABASE.replaceAll('-', '_') } : undefined,
    qdrant: env.QDRANT_URL ? { url: env.QDRANT_URL, apiKey: env.QDRANT_API_KEY } : undefined,
    dataDir: env.KEEL_DATA_DIR,
    embeddings: embeddingsEndpointOf(env),
    policy: {
      address: env.POLICY_ADDRESS,
      scan: env.POLICY_SCAN,
      deadlineMs: env.POLICY_DEADLINE_MS,
      auth: internalAuthOf(env),
    },
    apiKeys: apiKeysOf(env),
    /**
     * The largest text a request may carry, over HTTP and in events alike: the body limit, and
     * never more than one policy Scan takes (a document the scan would refuse must be refused
     * here, with a 4xx, not retried into the dead-letter topic after its 202).
     */
    maxTextBytes: env.POLICY_SCAN
      ? Math.min(sizeInBytes(env.INGEST_MAX_BODY), MAX_SCANNABLE_TEXT_BYTES)
      : sizeInBytes(env.INGEST_MAX_BODY),
    consumerGroup: env.INGEST_CONSUMER_GROUP,
    embedBatchSize: env.INGEST_EMBED_BATCH,
    /** Requests the consumer takes at once (1: one at a time, as before batching). */
    batchSize: env.INGEST_BATCH_SIZE,
    /** Documents in flight at once across every batch (policy scans, store round trips). */
    concurrency: env.INGEST_CONCURRENCY,
    // Long enough to ride out a policy service restart before an event is dead-lettered.
    retry: {
      maxAttempts: env.INGEST_RETRY_ATTEMPTS,
      initialBackoffMs: env.INGEST_RETRY_INITIAL_BACKOFF_MS,
      maxBackoffMs: env.INGEST_RETRY_MAX_BACKOFF_MS,
    },
    chunking: { maxTokens: env.CHUNK_MAX_TOKENS, overlapTokens: env.CHUNK_OVERLAP_TOKENS },
    files: {
      maxBytes: sizeInBytes(env.INGEST_MAX_UPLOAD),
      maxBatch: env.INGEST_MAX_BATCH,
      maxPdfPages: env.INGEST_MAX_PDF_PAGES,
      parseTimeoutMs: env.INGEST_PARSE_TIMEOUT_MS,
      parseWorkers: env.INGEST_PARSE_WORKERS,
      fileRoot: env.INGEST_FILE_ROOT,
      fetchHosts: env.INGEST_FETCH_HOSTS ?? [],
      fetchTimeoutMs: env.INGEST_FETCH_TIMEOUT_MS,
    },
    reindex: {
      pageSize: env.INGEST_REINDEX_PAGE,
      concurrency: env.INGEST_REINDEX_CONCURRENCY,
      embedBatchSize: env.INGEST_EMBED_BATCH,
      pollMs: Math.max(env.INDEX_REFRESH_MS, 100),
      // Long enough that a replica busy with a slow page keeps its claim.
      leaseMs: Math.max(30_000, env.INDEX_REFRESH_MS * 10),
      graceMs: env.INGEST_REINDEX_GRACE_MS,
      maxPasses: 5,
    },
  }));

export type IngestionConfig = z.infer<typeof schema>;

export function loadIngestionConfig(env: NodeJS.ProcessEnv = process.env): IngestionConfig {
  return loadConfig(schema, env);
}
