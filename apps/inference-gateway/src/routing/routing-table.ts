/**
 * One immutable version of the routing: the providers with their adapters, the public model
 * names with their deployments, the fallback chains, and the retry, timeout and breaker
 * settings. Built from the routing file (when there is one) over the providers of the
 * conventional variables (`OPENAI_*`, `ANTHROPIC_*`), which the file may redefine by name. A
 * reload builds a new table and swaps it in whole; calls in flight finish on the one they began with.
 */
import type { ModelProvider, RetryPolicy } from '@keel/models';
import type { PricingSection } from '../usage/model-price.js';
import type { BreakerSettings } from './circuit-breaker.js';
import type { RoutingFile } from './routing-file-schema.js';

export interface EnvironmentProvider {
  name: string;
  kind: 'openai' | 'anthropic';
  baseUrl: string;
  apiKey: string;
  version?: string | undefined;
}

export interface RoutedProvider {
  name: string;
  kind: 'openai' | 'anthropic';
  baseUrl: string;
  /** The breaker's key: one breaker per provider endpoint. */
  endpoint: string;
  /** Whether its model list is read, so that its models route by their own names. */
  discoverModels: boolean;
  adapter: ModelProvider;
  /** Equal fingerprints mean the same upstream with the same key: its model list is kept across a reload. */
  fingerprint: string;
  /** Defined by the conventional variables (not the file): not ready until its model list was read. */
  fromEnvironment: boolean;
}

export interface Deployment {
  provider: string;
  model: string;
  weight: number;
}

export interface ModelRoute {
  name: string;
  type: 'chat' | 'embedding';
  deployments: Deployment[];
}

export interface RoutingTable {
  /** `env`, or the content hash of the file. */
  version: string;
  providers: Map<string, RoutedProvider>;
  /** Public names (and aliases) of the file's models. */
  routes: Map<string, ModelRoute>;
  fallbacks: Map<string, string[]>;
  retry: Omit<RetryPolicy, 'random' | 'sleep' | 'now'>;
  /** Undefined: no breaker (only the file turns it on). */
  breaker: BreakerSettings | undefined;
  pricing: PricingSection | undefined;
}

export interface ModelCallDefaults {
  maxAttempts: number;
  attemptTimeoutMs: number;
  totalTimeoutMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export type ProviderFactory = (spec: {
  name: string;
  kind: 'openai' | 'anthropic';
  baseUrl: string;
  apiKey: string | undefined;
  version?: string | undefined;
  defaultTimeoutMs: number;
}) => ModelProvider;

export function buildRoutingTable(input: {
  file: RoutingFile | undefined;
  version: string;
  environmentProviders: readonly EnvironmentProvider[];
  defaults: ModelCallDefaults;
  readSecret: (name: string) => string | undefined;
  createProvider: ProviderFactory;
}): RoutingTable {
  const { file, defaults } = input;
  const attemptTimeoutMs = file?.timeouts?.perAttemptMs ?? defaults.attemptTimeoutMs;
  const retry = {
    maxAttempts: file?.retries?.attempts ?? defaults.maxAttempts,
    baseDelayMs: file?.retries?.backoffBaseMs ?? defaults.baseDelayMs,
    maxDelayMs: file?.retries?.backoffMaxMs ?? defaults.maxDelayMs,
    attemptTimeoutMs,
    totalTimeoutMs: Math.max(attemptTimeoutMs, file?.timeouts?.totalMs ?? defaults.totalTimeoutMs),
    honourRetryAfter: file?.retries?.honourRetryAfter ?? true,
  };
  retry.maxDelayMs = Math.max(retry.maxDelayMs, retry.baseDelayMs);

  const providers = new Map<string, RoutedProvider>();
  const add = (spec: Parameters<ProviderFactory>[0] & { discoverModels: boolean; fromEnvironment: boolean }) => {
    const baseUrl = spec.baseUrl.replace(/\/+$/, '');
    providers.set(spec.name, {
      name: spec.name,
      kind: spec.kind,
      baseUrl,
      endpoint: `${spec.name}@${baseUrl}`,
      discoverModels: spec.discoverModels,
      fromEnvironment: spec.fromEnvironment,
      adapter: input.createProvider({ ...spec, baseUrl }),
      // A rotated key is a new upstream (its model list is read again); the key itself is not kept here.
      fingerprint: JSON.stringify([spec.kind, baseUrl, spec.version ?? '', keyMarker(spec.apiKey)]),
    });
  };
  for (const provider of input.environmentProviders) {
    add({ ...provider, defaultTimeoutMs: attemptTimeoutMs, discoverModels: true, fromEnvironment: true });
  }
  for (const [name, spec] of Object.entries(file?.providers ?? {})) {
    add({
      name,
      kind: spec.kind,
      baseUrl: spec.baseUrl,
      apiKey: spec.apiKeyEnv ? input.readSecret(spec.apiKeyEnv) : undefined,
      version: spec.version,
      defaultTimeoutMs: attemptTimeoutMs,
      discoverModels: spec.discoverModels,
      fromEnvironment: false,
    });
  }

  const routes = new Map<string, ModelRoute>();
  for (const [name, spec] of Object.entries(file?.models ?? {})) {
    const route: ModelRoute = { name, type: spec.type, deployments: spec.deployments.map((d) => ({ ...d })) };
    for (const publicName of [name, ...spec.aliases]) routes.set(publicName, route);
  }
  const breaker = file?.circuitBreaker ?? (file ? circuitBreakerDefaults : undefined);
  return {
    version: input.version,
    providers,
    routes,
    fallbacks: new Map(Object.entries(file?.fallbacks ?? {})),
    retry,
    breaker: breaker?.enabled === false ? undefined : breaker,
    pricing: file?.pricing,
  };
}

const circuitBreakerDefaults = {
  enabled: true,
  failureThreshold: 5,
  minimumRequests: 20,
  windowMs: 60_000,
  openMs: 30_000,
  halfOpenProbes: 1,
};

/** Distinguishes keys without keeping them: a short hash is enough to tell a rotated key. */
function keyMarker(key: string | undefined): string {
  if (!key) return '';
  let hash = 2166136261;
  for (let index = 0; index < key.length; index++) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 16777619);
  }
  return (hash >>> 0).toString(36);
}
