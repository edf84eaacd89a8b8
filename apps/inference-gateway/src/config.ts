/** The gateway's configuration: the only reader of the environment, validated once at start. */
import { apiKeyEntriesFrom, csvList, durationMs, loadConfig, optionalUrl, portSchema, z } from '@keel/platform';

const SERVICE = 'inference-gateway';

// host:port, as gRPC dials it.
const address = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((value) => value?.trim() || fallback)
    .refine((value) => /^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(value), 'expected host:port');

const schema = z
  .object({
    HTTP_PORT: portSchema(8080),
    GRPC_PORT: portSchema(50053),
    HOST: z.string().min(1).default('0.0.0.0'),
    KAFKA_BROKERS: csvList(),
    POLICY_ADDRESS: address('127.0.0.1:50052'),
    RETRIEVAL_ADDRESS: address('127.0.0.1:50051'),
    POLICY_DEADLINE_MS: durationMs(2_000),
    RETRIEVAL_DEADLINE_MS: durationMs(5_000),
    KEEL_API_KEYS: z.string().default(''),
    // Empty disables the demo key (do that in production).
    KEEL_DEMO_API_KEY: z.string().default('keel-demo-key'),
    EMBEDDINGS_BASE_URL: optionalUrl(),
    EMBEDDINGS_MODEL: z.string().min(1).optional(),
    EMBEDDINGS_DIMENSIONS: z.coerce.number().int().min(1).max(65_536).optional(),
    EMBEDDINGS_API_KEY: z.string().min(1).optional(),
  })
  .superRefine((env, context) => {
    // A remote embedder needs all three: the width is checked on every response.
    const remote = [env.EMBEDDINGS_BASE_URL, env.EMBEDDINGS_MODEL, env.EMBEDDINGS_DIMENSIONS];
    const given = remote.filter((value) => value !== undefined).length;
    if (given > 0 && given < remote.length) {
      for (const name of ['EMBEDDINGS_BASE_URL', 'EMBEDDINGS_MODEL', 'EMBEDDINGS_DIMENSIONS'] as const) {
        if (env[name] === undefined) {
          context.addIssue({
            code: 'custom',
            path: [name],
            message: 'required when any of EMBEDDINGS_BASE_URL, EMBEDDINGS_MODEL, EMBEDDINGS_DIMENSIONS is set',
          });
        }
      }
    }
  })
  .transform((env) => ({
    service: SERVICE,
    http: { port: env.HTTP_PORT, host: env.HOST },
    // Internal callers only: the chart's Service exposes it inside the cluster, never publicly.
    grpc: { port: env.GRPC_PORT, host: env.HOST },
    kafka: env.KAFKA_BROKERS.length > 0 ? { brokers: env.KAFKA_BROKERS } : undefined,
    policy: { address: env.POLICY_ADDRESS, deadlineMs: env.POLICY_DEADLINE_MS },
    retrieval: { address: env.RETRIEVAL_ADDRESS, deadlineMs: env.RETRIEVAL_DEADLINE_MS },
    apiKeys: apiKeyEntriesFrom(env.KEEL_API_KEYS, env.KEEL_DEMO_API_KEY),
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

export type GatewayConfig = z.infer<typeof schema>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return loadConfig(schema, env);
}
