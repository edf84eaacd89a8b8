/** Policy's configuration: the only reader of the environment, validated once at start. */
import {
  apiKeyEnvFields,
  apiKeysOf,
  bindHostEnvFields,
  csvList,
  internalAuthEnvFields,
  internalAuthOf,
  loadConfig,
  optionalUrl,
  portSchema,
  requireInternalAuth,
  requireSomeApiKey,
  z,
} from '@keel/platform';
import { isSupportedPhoneRegion } from '@keel/policy-engine';
import { deniedTopicsSeedSchema } from './policies/policy-seeds.js';

const SERVICE = 'policy';

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? value.trim() : undefined));

/** `POLICY_DENIED_TOPICS`: JSON `{"<tenant>":[{"name":"weapons","phrases":["build a bomb"]}]}`. */
const deniedTopicsJson = optionalText.transform((value, context) => {
  if (value === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    context.addIssue({
      code: 'custom',
      message: 'expected JSON such as {"tenant":[{"name":"topic","phrases":["..."]}]}',
    });
    return z.NEVER;
  }
  const parsed = deniedTopicsSeedSchema.safeParse(raw);
  if (!parsed.success) {
    context.addIssue({ code: 'custom', message: z.prettifyError(parsed.error).replace(/\n/g, '; ') });
    return z.NEVER;
  }
  return parsed.data;
});

const schema = z
  .object({
    GRPC_PORT: portSchema(50052),
    HTTP_PORT: portSchema(8085),
    ...bindHostEnvFields,
    ...internalAuthEnvFields,
    ...apiKeyEnvFields,
    KAFKA_BROKERS: csvList(),
    MONGODB_URL: optionalUrl({ protocols: ['mongodb', 'mongodb+srv'] }),
    MONGODB_DATABASE: z.string().min(1).default(`keel_${SERVICE}`),
    KEEL_DATA_DIR: z.string().min(1).default('.keel/data'),
    POLICY_SEED_FILE: optionalText,
    POLICY_DENIED_TOPICS: deniedTopicsJson,
    POLICY_ADMIN_GROUPS: csvList(),
    POLICY_PHONE_REGIONS: csvList(['US']).refine(
      (regions) => regions.length > 0 && regions.every(isSupportedPhoneRegion),
      {
        message: 'expected ISO 3166-1 alpha-2 region codes libphonenumber knows, e.g. US,GB',
      },
    ),
  })
  .superRefine((env, context) => {
    requireInternalAuth(env, context);
    // The dry run (`POST /v1/policies/check`) is an HTTP API: it needs keys like every other.
    requireSomeApiKey(env, context);
  })
  .transform((env) => ({
    service: SERVICE,
    grpc: { port: env.GRPC_PORT, host: env.HOST },
    http: { port: env.HTTP_PORT, host: env.HOST },
    internalAuth: internalAuthOf(env),
    apiKeys: apiKeysOf(env),
    kafka: env.KAFKA_BROKERS.length > 0 ? { brokers: env.KAFKA_BROKERS } : undefined,
    mongo: env.MONGODB_URL ? { url: env.MONGODB_URL, database: env.MONGODB_DATABASE } : undefined,
    dataDir: env.KEEL_DATA_DIR,
    seeds: {
      ...(env.POLICY_SEED_FILE ? { seedFile: env.POLICY_SEED_FILE } : {}),
      ...(env.POLICY_DENIED_TOPICS ? { deniedTopics: env.POLICY_DENIED_TOPICS } : {}),
    },
    phoneRegions: env.POLICY_PHONE_REGIONS.map((region) => region.toUpperCase()),
    /** Unset: any key of the tenant may change its policy. */
    adminGroups: env.POLICY_ADMIN_GROUPS,
  }));

export type PolicyConfig = z.infer<typeof schema>;

export function loadPolicyConfig(env: NodeJS.ProcessEnv = process.env): PolicyConfig {
  return loadConfig(schema, env);
}
