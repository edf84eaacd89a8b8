/** Evaluation's configuration: the only reader of the environment, validated once at start. */
import {
  apiKeyEnvFields,
  apiKeysOf,
  bindHostEnvFields,
  csvList,
  loadConfig,
  optionalUrl,
  portSchema,
  requireSomeApiKey,
  z,
} from '@keel/platform';
import { checkOnlineEnv, onlineConfigOf, onlineEnvFields } from './evaluations/online-config.js';

const SERVICE = 'evaluation';

const fraction = (fallback: number) => z.coerce.number().min(0).max(1).default(fallback);

const schema = z
  .object({
    HTTP_PORT: portSchema(8083),
    ...bindHostEnvFields,
    KAFKA_BROKERS: csvList().optional(),
    MONGODB_URL: optionalUrl(),
    MONGODB_DATABASE: z.string().min(1).default(`keel_${SERVICE}`),
    KEEL_DATA_DIR: z.string().min(1).default('.keel/data'),
    ...apiKeyEnvFields,
    EVALUATION_REVIEW_THRESHOLD: fraction(0.7),
    EVALUATION_CLAIM_THRESHOLD: fraction(0.7),
    // Sampling, drift and the LLM judge (evaluations/online-config.ts).
    ...onlineEnvFields,
  })
  .superRefine((env, context) => requireSomeApiKey(env, context))
  .superRefine((env, context) => checkOnlineEnv(env, context))
  .transform((env) => ({
    service: SERVICE,
    http: { port: env.HTTP_PORT, host: env.HOST },
    kafka: env.KAFKA_BROKERS && env.KAFKA_BROKERS.length > 0 ? { brokers: env.KAFKA_BROKERS } : undefined,
    mongo: env.MONGODB_URL ? { url: env.MONGODB_URL, database: env.MONGODB_DATABASE.replaceAll('-', '_') } : undefined,
    dataDir: env.KEEL_DATA_DIR,
    apiKeys: apiKeysOf(env),
    policy: { reviewThreshold: env.EVALUATION_REVIEW_THRESHOLD, claimThreshold: env.EVALUATION_CLAIM_THRESHOLD },
    online: onlineConfigOf(env),
  }));

export type EvaluationConfig = z.infer<typeof schema>;

export function loadEvaluationConfig(env: NodeJS.ProcessEnv = process.env): EvaluationConfig {
  return loadConfig(schema, env);
}
