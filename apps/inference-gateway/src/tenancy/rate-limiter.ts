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
import { changeAtomically } from './atomic-document.js';
import type { LeaseOptions } from './budget-leases.js';
import { scopeId } from './limit-settings.js';
import { limited, mergeState, type RateLimiter, type RateLimitState, type Window, windowMs } from './rate-windows.js';
import { createWindowLeases } from './window-leases.js';

export type { Admission, RateLimiter, RateLimitState, ScopedLimits } from './rate-windows.js';

/**
 * `leases` (off unless given): admit against request slots this replica holds in each window and
 * count tokens in memory (window-leases.ts) instead of one write per request and scope.
 */
export async function createRateLimiter(
  store: DocumentStore,
  options: { leases?: LeaseOptions | boolean; now?: () => number } = {},
): Promise<RateLimiter> {
  const windows: Collection<Window> = await store.collection<Window>('rate_windows', { ttlField: 'expiresAt' });
  if (options.leases !== undefined && options.leases !== false) {
    return createWindowLeases(windows, {
      ...(options.leases === true ? {} : options.leases),
      ...(options.now ? { now: options.now } : {}),
    });
  }

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
    async releaseLeases() {},
    async stop() {},
  };
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
