/** Retrieval's configuration: the only reader of the environment, validated once at start. */
import { loadConfig, optionalUrl, portSchema, z } from '@keel/platform';

const SERVICE = 'retrieval';

const schema = z
  .object({
    GRPC_PORT: portSchema(50051),
    HTTP_PORT: portSchema(8084),
    HOST: z.string().min(1).default('0.0.0.0'),
    QDRANT_URL: optionalUrl(),
    QDRANT_API_KEY: z.string().min(1).optional(),
    KEEL_DATA_DIR: z.string().min(1).default('.keel/data'),
    EMBEDDINGS_BASE_URL: optionalUrl(),
    EMBEDDINGS_MODEL: z.string().min(1).optional(),
    EMBEDDINGS_DIMENSIONS: z.coerce.number().int().min(1).max(65_536).optional(),
    EMBEDDINGS_API_KEY: z.string().min(1).optional(),
  })
  .superRefine((env, context) => {
    // Queries must be embedded exactly as ingestion embedded the chunks: all three or none.
    const names = ['EMBEDDINGS_BASE_URL', 'EMBEDDINGS_MODEL', 'EMBEDDINGS_DIMENSIONS'] as const;
    const given = names.filter((name) => env[name] !== undefined);
    if (given.length > 0 && given.length < names.length) {
      for (const name of names) {
        if (env[name] === undefined) {
          context.addIssue({
            code: 'custom',
            path: [name],
            message: `required when ${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} set`,
          });
        }
      }
    }
  })
  .transform((env) => ({
    service: SERVICE,
    grpc: { port: env.GRPC_PORT, host: env.HOST },
    http: { port: env.HTTP_PORT, host: env.HOST },
    qdrant: env.QDRANT_URL ? { url: env.QDRANT_URL, apiKey: env.QDRANT_API_KEY } : undefined,
    dataDir: env.KEEL_DATA_DIR,
    embeddings:
      env.EMBEDDINGS_BASE_URL && env.EMBEDDINGS_MODEL && env.EMBEDDINGS_DIMENSIONS
        ? {
            baseUrl: env.EMBEDDINGS_BASE_URL,
            model: env.EMBEDDINGS_MODEL,
            dimensions: env.EMBEDDINGS_DIMENSIONS,
            apiKey: env.EMBEDDINGS_API_KEY,
          }
        : undefined,
  }));

export type RetrievalConfig = z.infer<typeof schema>;

export function loadRetrievalConfig(env: NodeJS.ProcessEnv = process.env): RetrievalConfig {
  return loadConfig(schema, env);
}
