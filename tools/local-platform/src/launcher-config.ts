/** The launcher's configuration: the only reader of process.env in tools/local-platform. */
import { randomBytes } from 'node:crypto';
import { loadConfig, portSchema, z } from '@keel/platform';
import { defaultPorts, type LocalPlatformPorts } from './local-platform.js';

const schema = z.object({
  KEEL_DATA_DIR: z.string().min(1).default('.keel/data'),
  KEEL_DEMO_API_KEY: z.string().min(8, 'use at least 8 characters').default('keel-demo-key'),
  // The demo reviewer accounts' password; unset means one generated for this run and printed.
  KEEL_DEMO_REVIEWER_PASSWORD: z.string().min(8, 'use at least 8 characters').max(256).optional().or(z.literal('')),
  KEEL_HOST: z.string().min(1).default('127.0.0.1'),
  // Six services log into one terminal: quieter than a single service by default.
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  GATEWAY_PORT: portSchema(defaultPorts.gateway),
  GATEWAY_GRPC_PORT: portSchema(defaultPorts.gatewayGrpc),
  INGESTION_PORT: portSchema(defaultPorts.ingestion),
  HUMAN_REVIEW_PORT: portSchema(defaultPorts.humanReview),
  EVALUATION_PORT: portSchema(defaultPorts.evaluation),
  RETRIEVAL_GRPC_PORT: portSchema(defaultPorts.retrievalGrpc),
  RETRIEVAL_HTTP_PORT: portSchema(defaultPorts.retrievalHttp),
  POLICY_GRPC_PORT: portSchema(defaultPorts.policyGrpc),
  POLICY_HTTP_PORT: portSchema(defaultPorts.policyHttp),
});

export interface LauncherConfig {
  dataDir: string;
  demoApiKey: string;
  /** The password of the demo tenant's reviewer console accounts (reviewer, lead, admin). */
  demoReviewerPassword: string;
  host: string;
  logLevel: string;
  ports: LocalPlatformPorts;
  /** What every service sees: the environment less the launcher's own port variables. */
  serviceEnv: NodeJS.ProcessEnv;
  ignoredInfrastructure: string[];
}

export function loadLauncherConfig(env: NodeJS.ProcessEnv = process.env): LauncherConfig {
  const parsed = loadConfig(schema, env);
  const demoReviewerPassword = parsed.KEEL_DEMO_REVIEWER_PASSWORD || randomBytes(12).toString('base64url');
  return {
    dataDir: parsed.KEEL_DATA_DIR,
    demoApiKey: parsed.KEEL_DEMO_API_KEY,
    demoReviewerPassword,
    host: parsed.KEEL_HOST,
    logLevel: parsed.LOG_LEVEL,
    ports: {
      gateway: parsed.GATEWAY_PORT,
      gatewayGrpc: parsed.GATEWAY_GRPC_PORT,
      ingestion: parsed.INGESTION_PORT,
      humanReview: parsed.HUMAN_REVIEW_PORT,
      evaluation: parsed.EVALUATION_PORT,
      retrievalGrpc: parsed.RETRIEVAL_GRPC_PORT,
      retrievalHttp: parsed.RETRIEVAL_HTTP_PORT,
      policyGrpc: parsed.POLICY_GRPC_PORT,
      policyHttp: parsed.POLICY_HTTP_PORT,
    },
    serviceEnv: {
      ...env,
      LOG_LEVEL: parsed.LOG_LEVEL,
      KEEL_DEMO_API_KEY: parsed.KEEL_DEMO_API_KEY,
      KEEL_DEMO_REVIEWER_PASSWORD: demoReviewerPassword,
    },
    ignoredInfrastructure: ['KAFKA_BROKERS', 'MONGODB_URL', 'QDRANT_URL'].filter((name) => env[name]),
  };
}
