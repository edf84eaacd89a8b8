/**
 * The schema of the routing file (`KEEL_GATEWAY_CONFIG`), as a platform team writes it in YAML:
 * providers (keys named by environment variable, never written in the file), public model names
 * with weighted deployments, fallback chains, retries, timeouts, a circuit breaker per provider
 * endpoint, and the price table (whose schema the usage module owns). Every section but
 * `providers` or `models` is optional; defaults are those of the `KEEL_MODEL_*` variables.
 */
import { z } from '@keel/platform';
import { pricingSectionSchema } from '../usage/model-price.js';

/** Milliseconds as a number, or a string with a unit: `250ms`, `30s`, `2m`. */
export const durationSchema = z.union([z.number(), z.string()]).transform((value, context): number => {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(String(value).trim());
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const ms = match ? Number(match[1]) * (units[match[2] ?? 'ms'] ?? 1) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0 || ms > 86_400_000) {
    context.addIssue({ code: 'custom', message: 'expected a duration: milliseconds, or 500ms, 30s, 2m (at most 24h)' });
    return z.NEVER;
  }
  return Math.round(ms);
});

const nameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'expected 1-64 lowercase letters, digits, ".", "_" or "-"');
/** Public model names are what clients send as `model`: OpenAI's ids include slashes and colons. */
const modelNameSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[\w./:@+-]+$/, 'expected letters, digits and . / : @ + _ - only');

export const providerSchema = z
  .object({
    kind: z.enum(['openai', 'anthropic']),
    baseUrl: z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
      .refine((url) => !new URL(url).username && !new URL(url).password, 'must not carry credentials'),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'expected the name of an environment variable')
      .optional(),
    /** Anthropic's `anthropic-version`. */
    version: z.string().min(1).max(64).optional(),
    /** Read the provider's model list (and refresh it), so its models route by their own names. */
    discoverModels: z.boolean().default(true),
  })
  .strict();

export const deploymentSchema = z
  .object({
    provider: nameSchema,
    model: modelNameSchema,
    /** Share of new requests (relative to the other deployments); 0 = only as a failover target. */
    weight: z.number().min(0).max(1_000_000).default(1),
  })
  .strict();

export const modelRouteSchema = z
  .object({
    type: z.enum(['chat', 'embedding']).default('chat'),
    /** Further public names for the same route. */
    aliases: z.array(modelNameSchema).max(32).default([]),
    deployments: z.array(deploymentSchema).min(1, 'needs at least one deployment').max(64),
  })
  .strict();

export const retriesSchema = z
  .object({
    /** Attempts per deployment, the first included (1 = no retry). */
    attempts: z.number().int().min(1).max(10).optional(),
    backoffBaseMs: durationSchema.optional(),
    backoffMaxMs: durationSchema.optional(),
    /** Wait at least what a 429 or 503 asks (`retry-after`, `retry-after-ms`). */
    honourRetryAfter: z.boolean().default(true),
  })
  .strict();

export const timeoutsSchema = z
  .object({
    /** No response (a stream: no first event, or no chunk for this long) → the attempt failed. */
    perAttemptMs: durationSchema.optional(),
    /** Every attempt, backoff and fallback of one request together, until its first byte. */
    totalMs: durationSchema.optional(),
  })
  .strict();

export const circuitBreakerSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Consecutive failures that open the breaker. */
    failureThreshold: z.number().int().min(1).max(1000).default(5),
    /** Or this share of failures among at least `minimumRequests` calls within `windowMs`. */
    failureRate: z.number().gt(0).max(1).optional(),
    minimumRequests: z.number().int().min(1).max(100_000).default(20),
    windowMs: durationSchema.default(60_000),
    /** How long an open breaker refuses calls before it lets probes through (half-open). */
    openMs: durationSchema.default(30_000),
    /** Concurrent trial calls while half-open; one success closes the breaker, one failure opens it again. */
    halfOpenProbes: z.number().int().min(1).max(100).default(1),
  })
  .strict();

export const routingFileSchema = z
  .object({
    providers: z.record(nameSchema, providerSchema).default({}),
    models: z.record(modelNameSchema, modelRouteSchema).default({}),
    /** Model name → the models tried, in order, when every deployment of it failed. */
    fallbacks: z.record(modelNameSchema, z.array(modelNameSchema).min(1).max(16)).default({}),
    retries: retriesSchema.optional(),
    timeouts: timeoutsSchema.optional(),
    circuitBreaker: circuitBreakerSchema.optional(),
    pricing: pricingSectionSchema.optional(),
  })
  .strict();

export type RoutingFile = z.infer<typeof routingFileSchema>;
export type ProviderSpec = z.infer<typeof providerSchema>;
export type ModelRouteSpec = z.infer<typeof modelRouteSchema>;
export type CircuitBreakerSettings = z.infer<typeof circuitBreakerSchema>;
