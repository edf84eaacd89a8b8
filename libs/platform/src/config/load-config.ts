import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';

/** Values of these variables are never echoed back in error messages. */
const secretName = /KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL/i;

type ZodIssue = z.ZodError['issues'][number];

function describeIssue(issue: ZodIssue, env: NodeJS.ProcessEnv): ConfigIssue {
  const variable = issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)';
  const topLevel = issue.path[0];
  const raw = typeof topLevel === 'string' ? env[topLevel] : undefined;
  if (raw === undefined && issue.code === 'invalid_type') {
    return { variable, message: 'is required but not set' };
  }
  const shown = raw === undefined || secretName.test(variable) ? '' : `, got ${JSON.stringify(raw)}`;
  return { variable, message: `${issue.message}${shown}` };
}

/**
 * Parses the environment with a schema, once, at start. On failure it throws a ConfigError that
 * names each bad variable and what was wrong with it, e.g.
 * `invalid configuration: HTTP_PORT: expected a port number (0-65535), got "abc"`.
 * Schemas may throw a ConfigError from a transform (parseApiKeysSpec does); it passes through.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => describeIssue(issue, env)));
}
