/**
 * The model lists of the providers that route their models by name (the conventional variables'
 * providers, and the routing file's with `discoverModels`), read at start and refreshed
 * periodically. A failed refresh keeps the last list and is reported in readiness detail; a
 * provider whose list was never read is retried sooner, and is not ready when it is `required`
 * (its models can only be routed by name). A reloaded routing file re-synchronises the set: an unchanged provider keeps
 * its list, a new or changed one is read at once.
 */
import { isProviderError, type ModelProvider } from '@keel/models';
import type { CheckResult, Logger } from '@keel/platform';

export interface ListedProvider {
  name: string;
  adapter: ModelProvider;
  /** Equal fingerprints: the same upstream with the same key (its list is kept). */
  fingerprint: string;
  /**
   * Whether the gateway is not ready until the list was read once: its models route only by
   * name (the variables' providers). A routing file's provider also serves its deployments, which
   * need no list, so an unread list only shows in the readiness detail.
   */
  required?: boolean;
}

export interface ProviderRegistry {
  /** The provider's listed model ids (empty when unknown or never read). */
  modelsOf(provider: string): ReadonlySet<string>;
  /** Providers in the order they were given. */
  providers(): string[];
  /** Readiness per provider, by name (`provider:<name>`); a provider removed later reports ready. */
  checks(): Record<string, () => Promise<CheckResult>>;
  /** Replaces the set of providers; new or changed ones are read before this resolves. Never throws. */
  sync(providers: readonly ListedProvider[]): Promise<void>;
  /** Reads every provider's list once; never throws. */
  refresh(): Promise<void>;
  /** Starts the periodic refresh (after an initial read). */
  start(): Promise<void>;
  stop(): void;
}

interface ProviderState {
  provider: ListedProvider;
  models: Set<string>;
  loadedAt: Date | undefined;
  lastError: string | undefined;
  timer: NodeJS.Timeout | undefined;
}

export function createProviderRegistry(options: {
  providers: readonly ListedProvider[];
  refreshMs: number;
  /** A provider never read is retried this often (default: 10 s, or refreshMs if shorter). */
  retryUnreadMs?: number;
  /** Bound of one model-list read. */
  listTimeoutMs: number;
  logger: Logger;
}): ProviderRegistry {
  const stateOf = (provider: ListedProvider): ProviderState => ({
    provider,
    models: new Set(),
    loadedAt: undefined,
    lastError: undefined,
    timer: undefined,
  });
  let states: ProviderState[] = options.providers.map(stateOf);
  const retryUnreadMs = options.retryUnreadMs ?? Math.min(10_000, options.refreshMs);
  let running = false;

  async function refreshOne(state: ProviderState): Promise<void> {
    const { name, adapter } = state.provider;
    try {
      const ids = await adapter.listModels({ timeoutMs: options.listTimeoutMs });
      state.models = new Set(ids);
      state.loadedAt = new Date();
      state.lastError = undefined;
    } catch (error) {
      // The message names the provider and the status, never the key (the adapters see to it).
      state.lastError = isProviderError(error) ? error.message : `${name}: ${String(error)}`;
      options.logger.warn(
        { provider: name, kept_models: state.models.size, reason: state.lastError },
        'the model list of a provider could not be read; the last list stays',
      );
    }
  }

  function schedule(state: ProviderState): void {
    if (!running || !states.includes(state)) return;
    const delay = state.loadedAt ? options.refreshMs : retryUnreadMs;
    state.timer = setTimeout(() => {
      void refreshOne(state).finally(() => schedule(state));
    }, delay);
    state.timer.unref();
  }

  const byName = (name: string) => states.find((state) => state.provider.name === name);

  return {
    modelsOf: (provider) => byName(provider)?.models ?? new Set(),
    providers: () => states.map((state) => state.provider.name),
    checks() {
      const checks: Record<string, () => Promise<CheckResult>> = {};
      for (const { provider } of states) {
        checks[`provider:${provider.name}`] = async () => {
          const state = byName(provider.name);
          if (!state) return { ok: true, detail: 'no longer routed (removed from the routing file)' };
          if (!state.loadedAt) {
            const detail = `model list not read yet: ${state.lastError ?? 'pending'}`;
            return { ok: state.provider.required === false, detail };
          }
          const listed = `${state.models.size} models, list read ${state.loadedAt.toISOString()}`;
          return { ok: true, detail: state.lastError ? `${listed}; last refresh failed: ${state.lastError}` : listed };
        };
      }
      return checks;
    },
    async sync(providers) {
      const kept = new Map(states.map((state) => [`${state.provider.name}\n${state.provider.fingerprint}`, state]));
      const next = providers.map((provider) => {
        const state = kept.get(`${provider.name}\n${provider.fingerprint}`);
        if (state) state.provider = provider;
        return state ?? stateOf(provider);
      });
      for (const state of states) if (!next.includes(state)) clearTimeout(state.timer);
      const fresh = next.filter((state) => !states.includes(state));
      states = next;
      await Promise.all(fresh.map(refreshOne));
      for (const state of fresh) schedule(state);
    },
    async refresh() {
      await Promise.all(states.map(refreshOne));
    },
    async start() {
      running = true;
      await Promise.all(states.map(refreshOne));
      for (const state of states) schedule(state);
    },
    stop() {
      running = false;
      for (const state of states) clearTimeout(state.timer);
    },
  };
}
