/**
 * The models of the configured providers (OpenAI-compatible, Anthropic), read from each
 * provider's model list at start and refreshed periodically. A failed refresh keeps the last list
 * and is reported in readiness detail; a provider whose list was never read is not ready (its
 * models cannot be routed), and is retried sooner. Each model is wrapped with the retry policy.
 */
import { type ChatModel, isProviderError, type ModelProvider, type RetryPolicy, withRetries } from '@keel/models';
import type { CheckResult, Logger } from '@keel/platform';

export interface ProviderRegistry {
  find(id: string): ChatModel | undefined;
  /** Every provider model, in provider order then list order. */
  list(): ChatModel[];
  /** Readiness per provider, by name. */
  checks(): Record<string, () => Promise<CheckResult>>;
  /** Reads every provider's list once (start); never throws. */
  refresh(): Promise<void>;
  /** Starts the periodic refresh (after an initial refresh). */
  start(): Promise<void>;
  stop(): void;
}

interface ProviderState {
  provider: ModelProvider;
  models: Map<string, ChatModel>;
  loadedAt: Date | undefined;
  lastError: string | undefined;
  timer: NodeJS.Timeout | undefined;
}

export function createProviderRegistry(options: {
  providers: readonly ModelProvider[];
  retry: Omit<RetryPolicy, 'random' | 'sleep' | 'now'>;
  refreshMs: number;
  /** A provider never read is retried this often (default: 10 s, or refreshMs if shorter). */
  retryUnreadMs?: number;
  /** Bound of one model-list read. */
  listTimeoutMs?: number;
  logger: Logger;
}): ProviderRegistry {
  const states: ProviderState[] = options.providers.map((provider) => ({
    provider,
    models: new Map(),
    loadedAt: undefined,
    lastError: undefined,
    timer: undefined,
  }));
  const retryUnreadMs = options.retryUnreadMs ?? Math.min(10_000, options.refreshMs);
  let stopped = false;

  async function refreshOne(state: ProviderState): Promise<void> {
    const { provider } = state;
    try {
      const ids = await provider.listModels({ timeoutMs: options.listTimeoutMs ?? options.retry.attemptTimeoutMs });
      const models = new Map<string, ChatModel>();
      for (const id of ids) models.set(id, state.models.get(id) ?? withRetries(provider.model(id), options.retry));
      state.models = models;
      state.loadedAt = new Date();
      state.lastError = undefined;
    } catch (error) {
      // The message names the provider and the status, never the key (the adapters see to it).
      state.lastError = isProviderError(error) ? error.message : `${provider.name}: ${String(error)}`;
      options.logger.warn(
        { provider: provider.name, kept_models: state.models.size, reason: state.lastError },
        'the model list of a provider could not be read; the last list stays',
      );
    }
  }

  function schedule(state: ProviderState): void {
    if (stopped) return;
    const delay = state.loadedAt ? options.refreshMs : retryUnreadMs;
    state.timer = setTimeout(() => {
      void refreshOne(state).finally(() => schedule(state));
    }, delay);
    state.timer.unref();
  }

  return {
    find(id) {
      for (const state of states) {
        const model = state.models.get(id);
        if (model) return model;
      }
      return undefined;
    },
    list: () => states.flatMap((state) => [...state.models.values()]),
    checks() {
      const checks: Record<string, () => Promise<CheckResult>> = {};
      for (const state of states) {
        checks[`provider:${state.provider.name}`] = async () => {
          if (!state.loadedAt) {
            return { ok: false, detail: `model list not read yet: ${state.lastError ?? 'pending'}` };
          }
          const listed = `${state.models.size} models, list read ${state.loadedAt.toISOString()}`;
          return { ok: true, detail: state.lastError ? `${listed}; last refresh failed: ${state.lastError}` : listed };
        };
      }
      return checks;
    },
    async refresh() {
      await Promise.all(states.map(refreshOne));
    },
    async start() {
      stopped = false;
      await Promise.all(states.map(refreshOne));
      for (const state of states) schedule(state);
    },
    stop() {
      stopped = true;
      for (const state of states) clearTimeout(state.timer);
    },
  };
}
