/**
 * The configuration of the reviewer console's side of human-review: sessions and their cookie,
 * the admin key, the demo and bootstrap accounts, and where the console's build is. Read through
 * config.ts, the app's only reader of the environment.
 */
import { fileURLToPath } from 'node:url';
import { adminApiKeyEnvFields, booleanFlag, z } from '@keel/platform';
import { PASSWORD_LIMITS, usernamePattern } from './account.js';

/** The console's build, resolved from this file so that it is found whatever the working directory. */
export const defaultConsoleDir = fileURLToPath(new URL('../../../review-console/dist', import.meta.url));

const MAX_SESSION_HOURS = 24 * 30;
const tenantPattern = /^[\w.-]{1,128}$/;

const optionalSecret = (minimum: number, message: string) =>
  z.string().min(minimum, message).max(PASSWORD_LIMITS.max).optional().or(z.literal(''));

export const consoleEnvFields = {
  REVIEW_SESSION_HOURS: z.coerce.number().positive().max(MAX_SESSION_HOURS).default(12),
  REVIEW_COOKIE_SECURE: booleanFlag(false),
  REVIEW_CONSOLE_DIR: z.string().trim().min(1).optional(),
  // Administers accounts and queues of any tenant (with ?tenant=).
  ...adminApiKeyEnvFields,
  KEEL_DEMO_REVIEWER_PASSWORD: optionalSecret(PASSWORD_LIMITS.min, `use at least ${PASSWORD_LIMITS.min} characters`),
  KEEL_REVIEW_BOOTSTRAP_ADMIN: z.string().trim().optional().or(z.literal('')),
  KEEL_REVIEW_BOOTSTRAP_ADMIN_PASSWORD: optionalSecret(
    PASSWORD_LIMITS.min,
    `use at least ${PASSWORD_LIMITS.min} characters`,
  ),
};

interface ConsoleEnv {
  REVIEW_SESSION_HOURS: number;
  REVIEW_COOKIE_SECURE: boolean;
  REVIEW_CONSOLE_DIR?: string | undefined;
  KEEL_ADMIN_API_KEY?: string | undefined;
  KEEL_DEMO_API_KEY?: string | undefined;
  KEEL_DEMO_REVIEWER_PASSWORD?: string | undefined;
  KEEL_REVIEW_BOOTSTRAP_ADMIN?: string | undefined;
  KEEL_REVIEW_BOOTSTRAP_ADMIN_PASSWORD?: string | undefined;
}

function bootstrapAdminOf(spec: string): { tenantId: string; username: string } | undefined {
  const [tenantId = '', username = '', ...extra] = spec.split(':').map((part) => part.trim());
  if (extra.length > 0 || !tenantPattern.test(tenantId) || !usernamePattern.test(username.toLowerCase())) {
    return undefined;
  }
  return { tenantId, username: username.toLowerCase() };
}

/** For the schema's `superRefine`: a bootstrap admin needs a valid `tenant:username` and a password. */
export function requireConsoleEnv(env: ConsoleEnv, context: z.RefinementCtx): void {
  if (!env.KEEL_REVIEW_BOOTSTRAP_ADMIN) return;
  if (!bootstrapAdminOf(env.KEEL_REVIEW_BOOTSTRAP_ADMIN)) {
    context.addIssue({
      code: 'custom',
      path: ['KEEL_REVIEW_BOOTSTRAP_ADMIN'],
      message: 'expected tenant:username (a tenant id of letters, digits, . _ -; a username of 1-64 a-z 0-9 . _ @ + -)',
    });
  }
  if (!env.KEEL_REVIEW_BOOTSTRAP_ADMIN_PASSWORD) {
    context.addIssue({
      code: 'custom',
      path: ['KEEL_REVIEW_BOOTSTRAP_ADMIN_PASSWORD'],
      message: `required when KEEL_REVIEW_BOOTSTRAP_ADMIN is set (at least ${PASSWORD_LIMITS.min} characters)`,
    });
  }
}

export interface ConsoleConfig {
  sessionMs: number;
  cookieSecure: boolean;
  consoleDir: string;
  adminApiKey?: string;
  /** Set only with KEEL_DEMO_API_KEY: the demo accounts' password, or undefined to generate one at start. */
  demo?: { password?: string };
  bootstrapAdmin?: { tenantId: string; username: string; password: string };
}

export function consoleConfigOf(env: ConsoleEnv): ConsoleConfig {
  const bootstrap = env.KEEL_REVIEW_BOOTSTRAP_ADMIN ? bootstrapAdminOf(env.KEEL_REVIEW_BOOTSTRAP_ADMIN) : undefined;
  return {
    sessionMs: Math.round(env.REVIEW_SESSION_HOURS * 3_600_000),
    cookieSecure: env.REVIEW_COOKIE_SECURE,
    consoleDir: env.REVIEW_CONSOLE_DIR ?? defaultConsoleDir,
    ...(env.KEEL_ADMIN_API_KEY ? { adminApiKey: env.KEEL_ADMIN_API_KEY } : {}),
    ...(env.KEEL_DEMO_API_KEY
      ? { demo: env.KEEL_DEMO_REVIEWER_PASSWORD ? { password: env.KEEL_DEMO_REVIEWER_PASSWORD } : {} }
      : {}),
    ...(bootstrap && env.KEEL_REVIEW_BOOTSTRAP_ADMIN_PASSWORD
      ? { bootstrapAdmin: { ...bootstrap, password: env.KEEL_REVIEW_BOOTSTRAP_ADMIN_PASSWORD } }
      : {}),
  };
}
