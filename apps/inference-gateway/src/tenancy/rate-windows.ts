/**
 * What the rate limiter and its leases share: one document per scope and minute, the admission a
 * request gets, and the `x-ratelimit-*` figures of the most constraining scope.
 */
import type { Versioned } from './atomic-document.js';
import type { Limits, Scope } from './limit-settings.js';

export const windowMs = 60_000;

export interface Window extends Versioned {
  requests: number;
  tokens: number;
  expiresAt: number;
}

export interface ScopedLimits {
  scope: Scope;
  limits: Limits;
}

/** The most constraining scope's figures, for the `x-ratelimit-*` headers. */
export interface RateLimitState {
  requests?: { limit: number; remaining: number; resetMs: number };
  tokens?: { limit: number; remaining: number; resetMs: number };
}

export interface Admission {
  admitted: boolean;
  state: RateLimitState;
  /** When refused: how long until the window that refused resets. */
  retryAfterMs?: number;
  refusedBy?: { scope: Scope; what: 'requests' | 'tokens' };
  /** What to settle: the windows with a token limit counted in, and the tokens reserved there. */
  ticket: { windowIds: string[]; reservedTokens: number };
}

export interface RateLimiter {
  admit(scopes: readonly ScopedLimits[], estimatedTokens: number, now: number): Promise<Admission>;
  /** Replaces the reserved estimate by the tokens really used (prompt + completion). */
  settle(ticket: Admission['ticket'], usedTokens: number): Promise<void>;
  /** Writes the token counts kept in memory and gives back unused request slots (leases). */
  releaseLeases(): Promise<void>;
  stop(): Promise<void>;
}

export const limited = (limits: Limits) => limits.requestsPerMinute !== null || limits.tokensPerMinute !== null;

export function mergeState(state: RateLimitState, limits: Limits, window: Window, resetMs: number): void {
  if (limits.requestsPerMinute !== null) {
    const remaining = Math.max(0, limits.requestsPerMinute - window.requests);
    if (!state.requests || remaining < state.requests.remaining) {
      state.requests = { limit: limits.requestsPerMinute, remaining, resetMs };
    }
  }
  if (limits.tokensPerMinute !== null) {
    const remaining = Math.max(0, limits.tokensPerMinute - window.tokens);
    if (!state.tokens || remaining < state.tokens.remaining) {
      state.tokens = { limit: limits.tokensPerMinute, remaining, resetMs };
    }
  }
}
