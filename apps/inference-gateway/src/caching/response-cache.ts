/**
 * An exact-match response cache for chat completions, scoped by tenant: the key is a SHA-256 of
 * the tenant, the model and the whole request normalised (object keys sorted; `stream`,
 * `stream_options` and `user` left out, as they change the framing or the attribution, not the
 * answer), so two tenants never share an entry and any difference in messages, tools or sampling
 * parameters is a different entry. Entries expire after the configured TTL (the store's TTL field:
 * an expired entry is never read, on both adapters).
 */
import { createHash } from 'node:crypto';
import type { Collection, DocumentStore } from '@keel/doc-store';
import type { FinishReason, ToolCall } from '@keel/models';

export interface CachedCompletion {
  id: string;
  tenantId: string;
  model: string;
  provider: string;
  content: string | null;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: { promptTokens: number; completionTokens: number; cachedTokens?: number; reasoningTokens?: number };
  /** The original answer's policy outcomes (a flagged answer is never cached). */
  policy: { input: string; output: string };
  createdAt: number;
  expiresAt: number;
}

export interface ResponseCache {
  readonly ttlMs: number;
  keyOf(tenantId: string, model: string, request: Record<string, unknown>): string;
  get(tenantId: string, key: string): Promise<CachedCompletion | null>;
  put(entry: Omit<CachedCompletion, 'createdAt' | 'expiresAt'>, now: number): Promise<void>;
}

const framingFields = new Set(['stream', 'stream_options', 'user', 'model']);

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export function responseCacheKey(tenantId: string, model: string, request: Record<string, unknown>): string {
  const kept = Object.fromEntries(Object.entries(request).filter(([field]) => !framingFields.has(field)));
  return createHash('sha256')
    .update(JSON.stringify([tenantId, model, canonical(kept)]))
    .digest('hex');
}

export async function createResponseCache(store: DocumentStore, ttlMs: number): Promise<ResponseCache> {
  const entries: Collection<CachedCompletion> = await store.collection<CachedCompletion>('response_cache', {
    ttlField: 'expiresAt',
  });
  return {
    ttlMs,
    keyOf: responseCacheKey,
    async get(tenantId, key) {
      const entry = await entries.get(key);
      // The key already holds the tenant; checking it again costs nothing and survives a mistake.
      return entry && entry.tenantId === tenantId ? entry : null;
    },
    async put(entry, now) {
      await entries.upsert({ ...entry, createdAt: now, expiresAt: now + ttlMs });
    },
  };
}
