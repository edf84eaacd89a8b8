/**
 * Requests and tokens per minute, per tenant and per key, counted in fixed one-minute windows in
 * the shared store (one document per scope and minute, expiring after it), so every replica counts
 * against the same numbers.
 *
 * Admission counts the request and reserves the prompt's estimated tokens; it refuses when the
 * window's requests have reached the limit or its tokens already have (a request is not refused
 * for what it might generate: its completion is counted when it ends, by `settle`, which replaces
 * the estimate with the tokens actually used). A scope refused after another admitted undoes the
 * other's count.
 */
import type { Collection, DocumentStore } from '@keel/doc-store';
import { changeAtomically, type Versioned } from './atomic-document.js';
import { type Limits, type Scope, scopeId } from './limit-settings.js';

const windowMs = 60_000;

interface Window extends Versioned {
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
}

const limited = (limits: Limits) => limits.requestsPerMinute !== null || limits.tokensPerMinute !== null;

export async function createRateLimiter(store: DocumentStore): Promise<RateLimiter> {
  const windows: Collection<Window> = await store.collection<Window>('rate_windows', { ttlField: 'expiresAt' });

  const adjust = (id: string, requests: number, tokens: number, expiresAt: number) =>
    changeAtomically(
      windows,
      id,
      () => ({ requests: 0, tokens: 0, expiresAt }),
      (current) => ({
        requests: Math.max(0, current.requests + requests),
        tokens: Math.max(0, current.tokens + tokens),
      }),
    );

  return {
    async admit(scopes, estimatedTokens, now) {
      const windowStart = Math.floor(now / windowMs) * windowMs;
      const resetMs = windowStart + windowMs - now;
      const expiresAt = windowStart + 2 * windowMs;
      const state: RateLimitState = {};
      const counted: string[] = [];
      // Only windows with a token limit need their estimate replaced at the end.
      const tokenWindows: string[] = [];
      for (const { scope, limits } of scopes) {
        if (!limited(limits)) continue;
        const id = `${scopeId(scope)}@${windowStart}`;
        let refused: 'requests' | 'tokens' | undefined;
        const { document, applied } = await changeAtomically(
          windows,
          id,
          () => ({ requests: 0, tokens: 0, expiresAt }),
          (current) => {
            if (limits.requestsPerMinute !== null && current.requests >= limits.requestsPerMinute) refused = 'requests';
            else if (limits.tokensPerMinute !== null && current.tokens >= limits.tokensPerMinute) refused = 'tokens';
            else refused = undefined;
            return refused ? null : { requests: current.requests + 1, tokens: current.tokens + estimatedTokens };
          },
        );
        mergeState(state, limits, document, resetMs);
        if (!applied) {
          // Undo what the scopes before this one counted: the request is not served.
          await Promise.all(counted.map((windowId) => adjust(windowId, -1, -estimatedTokens, expiresAt)));
          return {
            admitted: false,
            state,
            retryAfterMs: resetMs,
            refusedBy: { scope, what: refused ?? 'requests' },
            ticket: { windowIds: [], reservedTokens: 0 },
          };
        }
        counted.push(id);
        if (limits.tokensPerMinute !== null) tokenWindows.push(id);
      }
      return { admitted: true, state, ticket: { windowIds: tokenWindows, reservedTokens: estimatedTokens } };
    },
    async settle(ticket, usedTokens) {
      const delta = usedTokens - ticket.reservedTokens;
      if (delta === 0 || ticket.windowIds.length === 0) return;
      await Promise.all(
        ticket.windowIds.map((id) => {
          const windowStart = Number(id.slice(id.lastIndexOf('@') + 1));
          return adjust(id, 0, delta, windowStart + 2 * windowMs);
        }),
      );
    },
  };
}

function mergeState(state: RateLimitState, limits: Limits, window: Window, resetMs: number): void {
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

/** OpenAI's reset format: `1s`, `6m0s`, `250ms`. */
export function resetDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const seconds = Math.ceil(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${seconds % 60}s` : `${seconds}s`;
}

/** The `x-ratelimit-*` headers OpenAI sends, for the most constraining scope. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const what of ['requests', 'tokens'] as const) {
    const figures = state[what];
    if (!figures) continue;
    headers[`x-ratelimit-limit-${what}`] = String(figures.limit);
    headers[`x-ratelimit-remaining-${what}`] = String(figures.remaining);
    headers[`x-ratelimit-reset-${what}`] = resetDuration(figures.resetMs);
  }
  return headers;
}
