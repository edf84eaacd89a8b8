/**
 * A circuit breaker per provider endpoint. Closed: calls go through and their outcomes are
 * counted. It opens after `failureThreshold` consecutive failures, or when the share of failures
 * among at least `minimumRequests` calls within `windowMs` reaches `failureRate`. Open: every
 * call is refused without reaching the endpoint, for `openMs`. Then half-open: up to
 * `halfOpenProbes` calls at a time go through as probes; one success closes the breaker, one
 * failure opens it again for another `openMs`. The settings are passed on every decision, so a
 * reloaded routing file applies at once while the endpoint's history is kept.
 */

export interface BreakerSettings {
  failureThreshold: number;
  failureRate?: number | undefined;
  minimumRequests: number;
  windowMs: number;
  openMs: number;
  halfOpenProbes: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerPermit {
  /** The call answered (a response, or a stream's first event). */
  success(): void;
  /** The call failed in a way that says something about the endpoint (5xx, 429, timeout, garbage). */
  failure(): void;
  /** The call ended in a way that says nothing about the endpoint (the caller's 4xx, a cancel). */
  release(): void;
}

export interface CircuitBreaker {
  state(now?: number): BreakerState;
  /** A permit to call, or the milliseconds until the breaker lets a probe through. */
  acquire(settings: BreakerSettings, now?: number): BreakerPermit | { retryInMs: number };
}

export function createCircuitBreaker(
  clock: () => number = Date.now,
  onChange?: (state: 'open' | 'closed') => void,
): CircuitBreaker {
  let state: BreakerState = 'closed';
  let openedAt = 0;
  let openMs = 0;
  let consecutive = 0;
  let probes = 0;
  /** Outcomes within the window, oldest first: [time, ok]. */
  const window: [number, boolean][] = [];

  const current = (now: number): BreakerState => {
    if (state === 'open' && now - openedAt >= openMs) {
      state = 'half-open';
      probes = 0;
    }
    return state;
  };

  const open = (now: number, settings: BreakerSettings) => {
    state = 'open';
    onChange?.('open');
    openedAt = now;
    openMs = settings.openMs;
    probes = 0;
    window.length = 0;
    consecutive = 0;
  };

  const record = (ok: boolean, settings: BreakerSettings, wasProbe: boolean) => {
    const now = clock();
    if (wasProbe) probes = Math.max(0, probes - 1);
    if (current(now) === 'half-open' || wasProbe) {
      if (ok) {
        state = 'closed';
        consecutive = 0;
        window.length = 0;
        onChange?.('closed');
      } else open(now, settings);
      return;
    }
    if (state === 'open') return;
    window.push([now, ok]);
    while (window.length > 0 && now - (window[0]?.[0] ?? now) > settings.windowMs) window.shift();
    consecutive = ok ? 0 : consecutive + 1;
    if (consecutive >= settings.failureThreshold) return open(now, settings);
    if (settings.failureRate !== undefined && window.length >= settings.minimumRequests) {
      const failures = window.filter(([, outcome]) => !outcome).length;
      if (failures / window.length >= settings.failureRate) open(now, settings);
    }
  };

  return {
    state: (now = clock()) => current(now),
    acquire(settings, now = clock()) {
      const status = current(now);
      if (status === 'open') return { retryInMs: Math.max(1, openedAt + openMs - now) };
      const probe = status === 'half-open';
      if (probe) {
        if (probes >= settings.halfOpenProbes) return { retryInMs: 1000 };
        probes++;
      }
      let settled = false;
      const settle = (outcome: boolean | undefined) => {
        if (settled) return;
        settled = true;
        if (outcome === undefined) {
          if (probe) probes = Math.max(0, probes - 1);
          return;
        }
        record(outcome, settings, probe);
      };
      return { success: () => settle(true), failure: () => settle(false), release: () => settle(undefined) };
    },
  };
}

/**
 * The breakers of every endpoint, kept across reloads of the routing file. `onChange` hears each
 * breaker that opens or closes again (for a log line an operator can alert on).
 */
export function createBreakerBoard(
  clock: () => number = Date.now,
  onChange?: (endpoint: string, state: 'open' | 'closed') => void,
) {
  const breakers = new Map<string, CircuitBreaker>();
  return {
    of(endpoint: string): CircuitBreaker {
      let breaker = breakers.get(endpoint);
      if (!breaker) {
        breaker = createCircuitBreaker(clock, onChange && ((state) => onChange(endpoint, state)));
        breakers.set(endpoint, breaker);
      }
      return breaker;
    },
    states(): Record<string, BreakerState> {
      return Object.fromEntries([...breakers].map(([endpoint, breaker]) => [endpoint, breaker.state()]));
    },
  };
}

export type BreakerBoard = ReturnType<typeof createBreakerBoard>;
