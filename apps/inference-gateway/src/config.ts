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
  optionalUrl,
  portSchema,
  requireCompleteEmbeddingsEnv,
  requireInternalAuth,
  requireSomeApiKey,
  z,
} from '@keel/platform';
import { guardrailsEnvFields, guardrailsOf } from './guardrails/guardrails-env.js';
import { tenancyEnvFields, tenancyOf } from './tenancy/tenancy-env.js';

const SERVICE = 'inference-gateway';

// host:port, as gRPC dials it.
const address = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((value) => value?.trim() || fallback)
    .refine((value) => /^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(value), 'expected host:port');

/** A positive whole number within bounds, with a default when unset. */
const boundedInt = (fallback: number, min: number, max: number) =>
  z
    .union([z.string(), z.number()])
    .optional()
    .transform((value, context): number => {
      if (value === undefined || String(value).trim() === '') return fallback;
      const number = Number(String(value).trim());
      if (!Number.isInteger(number) || number < min || number > max) {
        context.addIssue({ code: 'custom', message: `expected a whole number between ${min} and ${max}` });
        return z.NEVER;
      }
      return number;
    });

const secret = z
  .string()
  .optional()
  .transform((value) => value?.trim() || undefined);

export interface ProviderConfig {
  /** The name models are listed and routed under (`owned_by`, the completion event's `provider`). */
  name: 'openai' | 'anthropic';
  kind: 'openai-compatible' | 'anthropic';
  baseUrl: string;
  apiKey: string;
  /** Anthropic's `anthropic-version`. */
  version?: string;
}

const schema = z
  .object({
    HTTP_PORT: portSchema(8080),
    GRPC_PORT: portSchema(50053),
    ...bindHostEnvFields,
    KAFKA_BROKERS: csvList(),
    // Keys, limits, budgets, the usage ledger and the response cache, shared by every replica.
    MONGODB_URL: optionalUrl({ protocols: ['mongodb', 'mongodb+srv'] }),
    MONGODB_DATABASE: z.string().min(1).default('keel_inference_gateway'),
    KEEL_DATA_DIR: z.string().min(1).default('.keel/data'),
    POLICY_ADDRESS: address('127.0.0.1:50052'),
    RETRIEVAL_ADDRESS: address('127.0.0.1:50051'),
    POLICY_DEADLINE_MS: durationMs(2_000),
    RETRIEVAL_DEADLINE_MS: durationMs(5_000),
    ...apiKeyEnvFields,
    ...tenancyEnvFields,
    ...guardrailsEnvFields,
    ...internalAuthEnvFields,
    ...embeddingsEnvFields,
    // Model providers: a key registers the provider; its models are read from its model list.
    OPENAI_API_KEY: secret,
    OPENAI_BASE_URL: optionalUrl({ protocols: ['http', 'https'] }),
    ANTHROPIC_API_KEY: secret,
    ANTHROPIC_BASE_URL: optionalUrl({ protocols: ['http', 'https'] }),
    ANTHROPIC_VERSION: z.string().trim().min(1).max(64).optional(),
    KEEL_MODEL_MAX_ATTEMPTS: boundedInt(3, 1, 10),
    KEEL_MODEL_ATTEMPT_TIMEOUT_MS: durationMs(60_000),
    KEEL_MODEL_TOTAL_TIMEOUT_MS: durationMs(120_000),
    KEEL_MODEL_RETRY_BASE_MS: durationMs(250),
    KEEL_MODEL_RETRY_MAX_MS: durationMs(8_000),
    KEEL_PROVIDER_MODELS_REFRESH_MS: durationMs(300_000),
    // The routing file (providers, aliases, weighted deployments, fallbacks, retries, breakers, pricing).
    KEEL_GATEWAY_CONFIG: z
      .string()
      .trim()
      .max(4096)
      .optional()
      .transform((value) => value || undefined),
  })
  .superRefine((env, context) => {
    requireCompleteEmbeddingsEnv(env, context);
    // With an admin key, keys can be issued at run time: the gateway may start without static ones.
    if (!env.KEEL_ADMIN_API_KEY) requireSomeApiKey(env, context);
    requireInternalAuth(env, context);
    if (env.KEEL_MODEL_ATTEMPT_TIMEOUT_MS < 1) {
      context.addIssue({ code: 'custom', path: ['KEEL_MODEL_ATTEMPT_TIMEOUT_MS'], message: 'must be at least 1 ms' });
    }
    if (env.KEEL_MODEL_TOTAL_TIMEOUT_MS < env.KEEL_MODEL_ATTEMPT_TIMEOUT_MS) {
      context.addIssue({
        code: 'custom',
        path: ['KEEL_MODEL_TOTAL_TIMEOUT_MS'],
        message: 'must be at least KEEL_MODEL_ATTEMPT_TIMEOUT_MS',
      });
    }
    if (env.KEEL_PROVIDER_MODELS_REFRESH_MS < 1000) {
      context.addIssue({ code: 'custom', path: ['KEEL_PROVIDER_MODELS_REFRESH_MS'], message: 'must be at least 1s' });
    }
    if (env.OPENAI_BASE_URL && !env.OPENAI_API_KEY) {
      context.addIssue({
        code: 'custom',
        path: ['OPENAI_API_KEY'],
        message: 'required when OPENAI_BASE_URL is set (any value for a server without keys)',
      });
    }
    if (env.ANTHROPIC_BASE_URL && !env.ANTHROPIC_API_KEY) {
      context.addIssue({
        code: 'custom',
        path: ['ANTHROPIC_API_KEY'],
        message: 'required when ANTHROPIC_BASE_URL is set',
      });
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
    apiKeys: apiKeysOf(env),
    mongo: env.MONGODB_URL ? { url: env.MONGODB_URL, database: env.MONGODB_DATABASE.replaceAll('-', '_') } : undefined,
    dataDir: env.KEEL_DATA_DIR,
    tenancy: tenancyOf(env),
    guardrails: guardrailsOf(env),
    internalAuth: internalAuthOf(env),
    embeddings: embeddingsEndpointOf(env),
    providers: providersOf(env),
    modelCalls: {
      maxAttempts: env.KEEL_MODEL_MAX_ATTEMPTS,
      attemptTimeoutMs: env.KEEL_MODEL_ATTEMPT_TIMEOUT_MS,
      totalTimeoutMs: env.KEEL_MODEL_TOTAL_TIMEOUT_MS,
      baseDelayMs: env.KEEL_MODEL_RETRY_BASE_MS,
      maxDelayMs: Math.max(env.KEEL_MODEL_RETRY_MAX_MS, env.KEEL_MODEL_RETRY_BASE_MS),
    },
    modelsRefreshMs: env.KEEL_PROVIDER_MODELS_REFRESH_MS,
    routingFile: env.KEEL_GATEWAY_CONFIG,
  }));

function providersOf(env: {
  OPENAI_API_KEY?: string | undefined;
  OPENAI_BASE_URL?: string | undefined;
  ANTHROPIC_API_KEY?: string | undefined;
  ANTHROPIC_BASE_URL?: string | undefined;
  ANTHROPIC_VERSION?: string | undefined;
}): ProviderConfig[] {
  const providers: ProviderConfig[] = [];
  if (env.OPENAI_API_KEY) {
    providers.push({
      name: 'openai',
      kind: 'openai-compatible',
      baseUrl: env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1',
      apiKey: env.OPENAI_API_KEY,
    });
  }
  if (env.ANTHROPIC_API_KEY) {
    providers.push({
      name: 'anthropic',
      kind: 'anthropic',
      baseUrl: env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com',
      apiKey: env.ANTHROPIC_API_KEY,
      ...(env.ANTHROPIC_VERSION ? { version: env.ANTHROPIC_VERSION } : {}),
    });
  }
  return providers;
}

export type GatewayConfig = z.infer<typeof schema> & {
  /**
   * Reads the variable a routing file names in `apiKeyEnv` (a function, so the environment's
   * values never sit in the configuration object, nor in a log of it).
   */
  readonly readSecret?: (name: string) => string | undefined;
};

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const config: GatewayConfig = loadConfig(schema, env);
  return Object.assign(config, { readSecret: (name: string) => env[name]?.trim() || undefined });
}
