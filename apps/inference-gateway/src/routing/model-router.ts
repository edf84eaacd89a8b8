/**
 * The live routing: public model names resolved against the current routing table and the
 * providers' model lists. A name is, in order, a model (or alias) of the routing file, or a model
 * some provider lists (the first provider that lists it); its candidates are its deployments in
 * weighted random order, then those of each model of its fallback chain. `apply` swaps in a new
 * table (a reloaded file) atomically; breakers and unchanged providers' model lists survive it.
 */
import type { CallOptions, ChatModel, ServedBy } from '@keel/models';
import type { CheckResult } from '@keel/platform';
import type { ListedModel } from '../models/model-catalog.js';
import type { ProviderRegistry } from '../models/provider-registry.js';
import type { PricingSection } from '../usage/model-price.js';
import { type BreakerBoard, createBreakerBoard } from './circuit-breaker.js';
import { type Candidate, type RouteCallOptions, routeCall } from './route-call.js';
import { createRoutedModel } from './routed-model.js';
import type { Deployment, RoutedProvider, RoutingTable } from './routing-table.js';
import { weightedOrder } from './weighted-choice.js';

/** What the rest of the gateway reads of the live configuration. */
export interface RoutingSnapshot {
  /** `env` without a file, else the first 12 hex digits of the file's SHA-256. */
  version: string;
  /** The routing file's path, when there is one. */
  source: string | undefined;
  loadedAt: Date;
  /** The routing file's `pricing` section (usage/model-price.ts), when it has one. */
  pricing: PricingSection | undefined;
}

export interface EmbeddingCall {
  input: readonly string[];
  dimensions?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface RoutedEmbeddings {
  vectors: number[][];
  promptTokens: number;
  attempts: number;
  servedBy: ServedBy;
}

export interface RoutedEmbeddingModel {
  readonly id: string;
  embed(call: EmbeddingCall): Promise<RoutedEmbeddings>;
}

export interface ModelRouter {
  /** A chat model by public name. */
  find(name: string): ChatModel | undefined;
  /** Every chat model name: the file's models and aliases, then the providers' listed models. */
  list(): ChatModel[];
  /** The file's embedding models and aliases (what `/v1/models` adds to the list). */
  listEmbeddings(): ListedModel[];
  /** An embedding model by public name: a file embedding model, or a model an OpenAI-compatible provider lists. */
  findEmbedding(name: string): RoutedEmbeddingModel | undefined;
  checks(): Record<string, () => Promise<CheckResult>>;
  /** The providers whose endpoint's breaker is open (or half-open) now. */
  openBreakers(): string[];
  current(): RoutingSnapshot;
  /** Called after each applied reload. */
  onChange(listener: (snapshot: RoutingSnapshot) => void): () => void;
  /** Swaps in a new table; new or changed providers' model lists are read first. */
  apply(table: RoutingTable, source: string | undefined): Promise<void>;
  start(): Promise<void>;
  stop(): void;
}

export function createModelRouter(input: {
  table: RoutingTable;
  source: string | undefined;
  registry: ProviderRegistry;
  breakers?: BreakerBoard;
  /** Further readiness checks (the routing file's). */
  checks?: Record<string, () => Promise<CheckResult>>;
  /** For tests. */
  hooks?: Omit<RouteCallOptions, 'signal'>;
}): ModelRouter {
  let table = input.table;
  let snapshot = snapshotOf(table, input.source);
  const breakers = input.breakers ?? createBreakerBoard();
  const listeners = new Set<(snapshot: RoutingSnapshot) => void>();
  const chatModels = new WeakMap<RoutedProvider, Map<string, ChatModel>>();
  const random = input.hooks?.random ?? Math.random;

  const modelOf = (candidate: Candidate): ChatModel => {
    let models = chatModels.get(candidate.provider);
    if (!models) {
      models = new Map();
      chatModels.set(candidate.provider, models);
    }
    let model = models.get(candidate.model);
    if (!model) {
      model = candidate.provider.adapter.model(candidate.model);
      models.set(candidate.model, model);
    }
    return model;
  };

  /** The deployments of one name in `current`, or undefined when nothing serves it. */
  const deploymentsOf = (current: RoutingTable, name: string, type: 'chat' | 'embedding'): Deployment[] | undefined => {
    const route = current.routes.get(name);
    if (route) return route.type === type ? route.deployments : undefined;
    for (const provider of current.providers.values()) {
      if (!provider.discoverModels || (type === 'embedding' && provider.kind !== 'openai')) continue;
      if (input.registry.modelsOf(provider.name).has(name))
        return [{ provider: provider.name, model: name, weight: 1 }];
    }
    return undefined;
  };

  const candidatesOf = (current: RoutingTable, name: string, type: 'chat' | 'embedding') => () => {
    const seen = new Set<string>();
    const candidates: Candidate[] = [];
    const canonical = current.routes.get(name)?.name ?? name;
    const chain = [name, ...(current.fallbacks.get(name) ?? current.fallbacks.get(canonical) ?? [])];
    for (const model of chain) {
      for (const deployment of weightedOrder(deploymentsOf(current, model, type) ?? [], random)) {
        const provider = current.providers.get(deployment.provider);
        const key = `${deployment.provider}\n${deployment.model}`;
        if (!provider || seen.has(key)) continue;
        seen.add(key);
        candidates.push({ provider, model: deployment.model });
      }
    }
    return candidates;
  };

  const find = (name: string): ChatModel | undefined => {
    const current = table;
    const deployments = deploymentsOf(current, name, 'chat');
    const first = deployments?.[0];
    if (!first) return undefined;
    const routed = current.routes.has(name);
    return createRoutedModel({
      descriptor: { id: name, provider: first.provider, ownedBy: routed ? 'keel' : first.provider },
      table: current,
      breakers,
      candidates: candidatesOf(current, name, 'chat'),
      modelOf,
      ...(input.hooks ? { hooks: input.hooks } : {}),
    });
  };

  return {
    find,
    list() {
      const names = new Set<string>();
      for (const [name, route] of table.routes) if (route.type === 'chat') names.add(name);
      for (const provider of table.providers.values()) {
        if (!provider.discoverModels) continue;
        for (const id of input.registry.modelsOf(provider.name)) names.add(id);
      }
      return [...names].flatMap((name) => find(name) ?? []);
    },
    listEmbeddings() {
      return [...table.routes]
        .filter(([, route]) => route.type === 'embedding')
        .map(([name]) => ({ id: name, ownedBy: 'keel' }));
    },
    findEmbedding(name) {
      const current = table;
      if (!deploymentsOf(current, name, 'embedding')) return undefined;
      const candidates = candidatesOf(current, name, 'embedding');
      return {
        id: name,
        async embed(call) {
          const result = await routeCall(
            current,
            breakers,
            candidates(),
            (candidate, options: CallOptions) => {
              const { adapter } = candidate.provider;
              if (!adapter.embed) throw new Error(`${candidate.provider.name} serves no embeddings`);
              return adapter.embed(
                {
                  model: candidate.model,
                  input: call.input,
                  ...(call.dimensions === undefined ? {} : { dimensions: call.dimensions }),
                },
                options,
              );
            },
            { ...input.hooks, signal: call.signal },
          );
          return {
            ...result.value,
            attempts: result.attempts,
            servedBy: { provider: result.servedBy.provider.name, model: result.servedBy.model },
          };
        },
      };
    },
    checks: () => ({ ...input.registry.checks(), ...input.checks }),
    openBreakers() {
      const states = breakers.states();
      return [...table.providers.values()]
        .filter((provider) => (states[provider.endpoint] ?? 'closed') !== 'closed')
        .map((provider) => provider.name);
    },
    current: () => snapshot,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async apply(next, source) {
      await input.registry.sync(listedProvidersOf(next));
      table = next;
      snapshot = snapshotOf(next, source);
      for (const listener of listeners) listener(snapshot);
    },
    start: () => input.registry.start(),
    stop: () => input.registry.stop(),
  };
}

export function listedProvidersOf(table: RoutingTable) {
  return [...table.providers.values()]
    .filter((provider) => provider.discoverModels)
    .map((provider) => ({
      name: provider.name,
      adapter: provider.adapter,
      fingerprint: provider.fingerprint,
      required: provider.fromEnvironment,
    }));
}

function snapshotOf(table: RoutingTable, source: string | undefined): RoutingSnapshot {
  return { version: table.version, source, loadedAt: new Date(), pricing: table.pricing };
}
