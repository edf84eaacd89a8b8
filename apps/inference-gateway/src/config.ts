/** The gateway's configuration: the only reader of the environment, validated once at start. */
import {
  apiKeyEnvFields,
  apiKeysOf,
  bindHostEnvFields,
  csvList,
  durationMs,
  embeddingsEndpointOf,
  embeddingsEnvFields,
  internalAuthEnvFields,
  internalAuthOf,
  loadConfig,
  portSchema,
  requireCompleteEmbeddingsEnv,
  requireInternalAuth,
  requireSomeApiKey,
  z,
} from '@keel/platform';

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
    ...bindHostEnvFields,
    KAFKA_BROKERS: csvList(),
    POLICY_ADDRESS: address('127.0.0.1:50052'),
    RETRIEVAL_ADDRESS: address('127.0.0.1:50051'),
    POLICY_DEADLINE_MS: durationMs(2_000),
    RETRIEVAL_DEADLINE_MS: durationMs(5_000),
    ...apiKeyEnvFields,
    ...internalAuthEnvFields,
    ...embeddingsEnvFields,
  })
  .superRefine((env, context) => {
    requireCompleteEmbeddingsEnv(env, context);
    requireSomeApiKey(env, context);
    requireInternalAuth(env, context);
  })
  .transform((env) => ({
    service: SERVICE,
    http: { port: env.HTTP_PORT, host: env.HOST },
    // Internal callers only: the chart's Service exposes it inside the cluster, never publicly.
    grpc: { port: env.GRPC_PORT, host: env.HOST },
    kafka: env.KAFKA_BROKERS.length > 0 ? { brokers: env.KAFKA_BROKERS } : undefined,
    policy: { address: env.POLICY_ADDRESS, deadlineMs: env.POLICY_DEADLINE_MS },
    retrieval: { address: env.RETRIEVAL_ADDRESS, deadlineMs: env.RETRIEVAL_DEADLINE_MS },
    apiKeys: apiKeysOf(env),
    internalAuth: internalAuthOf(env),
    embeddings: embeddingsEndpointOf(env),
  }));

export type GatewayConfig = z.infer<typeof schema>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return loadConfig(schema, env);
}
