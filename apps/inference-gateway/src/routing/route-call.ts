/**
 * One routed call: the candidates (the chosen model's deployments in weighted order, then each
 * fallback's) are tried in turn. Each gets its attempts with jittered backoff (honouring
 * `retry-after`) and per-attempt timeouts, all within the request's total timeout; an endpoint
 * whose breaker is open is skipped without a call. A failure that another upstream could avoid
 * (429, 5xx, timeouts, dropped connections, garbage, the gateway's key refused, an unknown model)
 * moves on to the next candidate; one that is the request's own (a 400, the caller's cancel)
 * ends the call. When every candidate failed, the error says what to tell the caller: all rate
 * limited → 429 with the shortest `retry-after`; all behind open breakers → 503; otherwise the
 * last failure (a timeout → 504, garbage or 5xx → 502).
 */
import { type CallOptions, callWithRetries, isProviderError, ProviderError } from '@keel/models';
import type { BreakerBoard, BreakerPermit } from './circuit-breaker.js';
import type { RoutedProvider, RoutingTable } from './routing-table.js';

export interface Candidate {
  provider: RoutedProvider;
  /** The model's id at the provider. */
  model: string;
}

export interface RouteCallOptions {
  signal?: AbortSignal | undefined;
  /** For tests. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export interface RoutedResult<T> {
  value: T;
  /** Upstream calls made, over every candidate (skipped endpoints are not calls). */
  attempts: number;
  servedBy: Candidate;
}

/** Failures that say an endpoint is unwell: they count against its breaker. */
const endpointFailures = new Set([
  'rate_limited',
  'upstream_error',
  'timeout',
  'connection_failed',
  'stream_interrupted',
  'malformed_response',
]);

export function countsAgainstEndpoint(error: ProviderError): boolean {
  return endpointFailures.has(error.kind);
}

export function failsOver(error: ProviderError): boolean {
  if (endpointFailures.has(error.kind) || error.kind === 'circuit_open') return true;
  // The gateway's key for this upstream refused, or a model it does not have: another upstream may serve.
  return error.kind === 'rejected' && [401, 403, 404].includes(error.status ?? 0);
}

export async function routeCall<T>(
  table: RoutingTable,
  breakers: BreakerBoard,
  candidates: readonly Candidate[],
  run: (candidate: Candidate, options: CallOptions) => Promise<T>,
  options: RouteCallOptions = {},
): Promise<RoutedResult<T>> {
  const now = options.now ?? Date.now;
  const deadline = now() + table.retry.totalTimeoutMs;
  const policy = {
    ...table.retry,
    ...(options.now ? { now: options.now } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.random ? { random: options.random } : {}),
  };
  if (candidates.length === 0) {
    // The providers it named were removed by a reload after the model was looked up.
    throw new ProviderError('upstream_error', 'router', 'no deployment of this model is configured any more', {
      retryable: false,
    });
  }
  const failures: { candidate: Candidate; error: ProviderError }[] = [];
  let attempts = 0;
  for (const candidate of candidates) {
    if (options.signal?.aborted) break;
    if (now() >= deadline) break;
    const settings = table.breaker;
    const breaker = settings ? breakers.of(candidate.provider.endpoint) : undefined;
    let calls = 0;
    // A breaker that opens between retries ends them; the caller should hear what the upstream said.
    let lastCalled: ProviderError | undefined;
    try {
      const { value } = await callWithRetries(
        async (callOptions) => {
          let permit: BreakerPermit | undefined;
          if (breaker && settings) {
            const granted = breaker.acquire(settings);
            if ('retryInMs' in granted) {
              throw new ProviderError('circuit_open', candidate.provider.name, 'its circuit breaker is open', {
                retryAfterMs: granted.retryInMs,
              });
            }
            permit = granted;
          }
          calls++;
          try {
            const value = await run(candidate, callOptions);
            permit?.success();
            return value;
          } catch (error) {
            if (isProviderError(error) && endpointFailures.has(error.kind)) permit?.failure();
            else permit?.release();
            if (isProviderError(error)) lastCalled = error;
            throw error;
          }
        },
        policy,
        { signal: options.signal, deadline },
      );
      attempts += calls;
      return { value, attempts, servedBy: candidate };
    } catch (error) {
      attempts += calls;
      if (!isProviderError(error)) throw error;
      const failure = error.kind === 'circuit_open' && lastCalled ? lastCalled : error;
      failure.attempts = attempts;
      failures.push({ candidate, error: failure });
      if (!failsOver(failure) || options.signal?.aborted) throw failure;
    }
  }
  throw finalError(failures, attempts, options.signal, table.retry.totalTimeoutMs);
}

function finalError(
  failures: { candidate: Candidate; error: ProviderError }[],
  attempts: number,
  signal: AbortSignal | undefined,
  totalTimeoutMs: number,
): ProviderError {
  const last = failures.at(-1);
  if (signal?.aborted) {
    const error = new ProviderError('aborted', last?.candidate.provider.name ?? 'router', 'the call was cancelled');
    error.attempts = attempts;
    return error;
  }
  const called = failures.filter(({ error }) => error.kind !== 'circuit_open');
  let chosen: ProviderError | undefined;
  if (failures.length === 0) {
    chosen = new ProviderError('timeout', 'router', `no deployment could be tried within ${totalTimeoutMs} ms`);
  } else if (called.length === 0) {
    const soonest = Math.min(...failures.map(({ error }) => error.retryAfterMs ?? 1000));
    const names = failures.map(({ candidate }) => candidate.provider.name);
    chosen = new ProviderError(
      'circuit_open',
      names.at(-1) ?? 'router',
      `every endpoint (${[...new Set(names)].join(', ')}) is behind an open circuit breaker`,
      { retryAfterMs: soonest },
    );
  } else if (called.every(({ error }) => error.kind === 'rate_limited')) {
    const waits = called.map(({ error }) => error.retryAfterMs).filter((ms): ms is number => ms !== undefined);
    const soonest = waits.length > 0 ? Math.min(...waits) : undefined;
    chosen = called.find(({ error }) => error.retryAfterMs === soonest)?.error ?? called.at(-1)?.error;
  } else {
    chosen = called.at(-1)?.error;
  }
  if (!chosen) throw new Error('unreachable: a routed call failed without a failure');
  const tried = [...new Set(failures.map(({ candidate }) => `${candidate.provider.name}/${candidate.model}`))];
  const error =
    tried.length > 1
      ? new ProviderError(
          chosen.kind,
          chosen.provider,
          `${chosen.message.replace(`${chosen.provider}: `, '')} (tried ${tried.join(', ')})`,
          {
            ...(chosen.status === undefined ? {} : { status: chosen.status }),
            ...(chosen.retryAfterMs === undefined ? {} : { retryAfterMs: chosen.retryAfterMs }),
            retryable: chosen.retryable,
            cause: chosen,
          },
        )
      : chosen;
  error.attempts = attempts;
  return error;
}
