/** Human-review's configuration: the only reader of the environment, validated once at start. */
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
import { consoleConfigOf, consoleEnvFields, requireConsoleEnv } from './accounts/console-env.js';
import { lineageConfigOf, lineageEnvFields } from './context/lineage-env.js';
import { MAX_LEASE_SECONDS } from './reviews/review-item.js';

const SERVICE = 'human-review';

const schema = z
  .object({
    HTTP_PORT: portSchema(8082),
    ...bindHostEnvFields,
    KAFKA_BROKERS: csvList().optional(),
    MONGODB_URL: optionalUrl(),
    MONGODB_DATABASE: z.string().min(1).default('keel_human_review'),
    KEEL_DATA_DIR: z.string().min(1).default('.keel/data'),
    ...apiKeyEnvFields,
    REVIEW_LEASE_SECONDS: z.coerce.number().int().min(1).max(MAX_LEASE_SECONDS).default(300),
    ...consoleEnvFields,
    ...lineageEnvFields,
  })
  .superRefine((env, context) => {
    // People may sign in instead of holding keys: an admin key or a bootstrap admin is enough to start.
    if (!env.KEEL_ADMIN_API_KEY && !env.KEEL_REVIEW_BOOTSTRAP_ADMIN) requireSomeApiKey(env, context);
    requireConsoleEnv(env, context);
  })
  .transform((env) => ({
    service: SERVICE,
    http: { port: env.HTTP_PORT, host: env.HOST },
    kafka: env.KAFKA_BROKERS && env.KAFKA_BROKERS.length > 0 ? { brokers: env.KAFKA_BROKERS } : undefined,
    mongo: env.MONGODB_URL ? { url: env.MONGODB_URL, database: env.MONGODB_DATABASE.replaceAll('-', '_') } : undefined,
    dataDir: env.KEEL_DATA_DIR,
    apiKeys: apiKeysOf(env),
    leaseSeconds: env.REVIEW_LEASE_SECONDS,
    console: consoleConfigOf(env),
    lineage: lineageConfigOf(env),
  }));

export type HumanReviewConfig = z.infer<typeof schema>;

export function loadHumanReviewConfig(env: NodeJS.ProcessEnv = process.env): HumanReviewConfig {
  return loadConfig(schema, env);
}
