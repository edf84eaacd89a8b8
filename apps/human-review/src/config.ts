/** Human-review's configuration: the only reader of the environment, validated once at start. */
import { csvList, loadConfig, optionalUrl, portSchema, z } from '@keel/platform';
import { MAX_LEASE_SECONDS } from './reviews/review-item.js';

const SERVICE = 'human-review';

const schema = z
  .object({
    HTTP_PORT: portSchema(8082),
    HOST: z.string().min(1).default('0.0.0.0'),
    KAFKA_BROKERS: csvList().optional(),
    MONGODB_URL: optionalUrl(),
    MONGODB_DATABASE: z.string().min(1).default('keel_human_review'),
    KEEL_DATA_DIR: z.string().min(1).default('.keel/data'),
    KEEL_API_KEYS: z.string().default(''),
    // Empty disables the demo key (do that in production).
    KEEL_DEMO_API_KEY: z.string().default('keel-demo-key'),
    REVIEW_LEASE_SECONDS: z.coerce.number().int().min(1).max(MAX_LEASE_SECONDS).default(300),
  })
  .transform((env) => ({
    service: SERVICE,
    http: { port: env.HTTP_PORT, host: env.HOST },
    kafka: env.KAFKA_BROKERS && env.KAFKA_BROKERS.length > 0 ? { brokers: env.KAFKA_BROKERS } : undefined,
    mongo: env.MONGODB_URL ? { url: env.MONGODB_URL, database: env.MONGODB_DATABASE.replaceAll('-', '_') } : undefined,
    dataDir: env.KEEL_DATA_DIR,
    apiKeys: { spec: env.KEEL_API_KEYS, demoKey: env.KEEL_DEMO_API_KEY },
    leaseSeconds: env.REVIEW_LEASE_SECONDS,
  }));

export type HumanReviewConfig = z.infer<typeof schema>;

export function loadHumanReviewConfig(env: NodeJS.ProcessEnv = process.env): HumanReviewConfig {
  return loadConfig(schema, env);
}
