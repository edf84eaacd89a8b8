/**
 * The usage ledger: one entry per request that reached a model or the response cache (answered or
 * failed), with who made it, which model and provider, the tokens, the cost and the UTC day.
 * Queries are per tenant (always), optionally per key, model and a range of days; `summarise`
 * totals the matching entries grouped by day, key or model.
 *
 * With `writeBehind`, entries are written in batches (one `upsertMany`, one SQLite transaction)
 * every `maxDelayMs` or `maxEntries`, whichever comes first; `record` resolves once its batch is
 * stored (or rejects with the batch's error), so a caller that waits, such as the metering's
 * `flush` at shutdown, still knows every entry landed. What a replica that dies loses is the batch
 * being gathered: at most `maxDelayMs` of entries.
 */
import type { Collection, DocumentStore, Filter, Page } from '@keel/doc-store';

export interface UsageEntry {
  /** The request id (a retried publication of the same request overwrites, never doubles). */
  id: string;
  tenantId: string;
  /** The stored key's id, or the subject of a static key (its name or digest), or `service:<name>`. */
  apiKeyId: string;
  model: string;
  provider: string;
  endpoint: string;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  costNanos: number;
  currency: string;
  priced: boolean;
  cacheHit: boolean;
  /** `ok`, or the error code of a failed request (`MODEL.TIMEOUT`, `CLIENT.CLOSED`…). */
  status: string;
  streamed: boolean;
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  at: number;
}

export interface UsageQuery {
  tenantId?: string | undefined;
  apiKeyId?: string | undefined;
  model?: string | undefined;
  /** Inclusive `YYYY-MM-DD` bounds. */
  from?: string | undefined;
  to?: string | undefined;
}

export type UsageGrouping = 'day' | 'key' | 'model' | 'tenant';

export interface UsageTotals {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  costNanos: number;
  cacheHits: number;
  failed: number;
  unpriced: number;
}

export interface UsageSummary {
  totals: UsageTotals;
  groups: ({ key: string } & UsageTotals)[];
  /** True when more entries matched than one summary reads (`maxSummarised`): narrow the range. */
  truncated: boolean;
}

export interface UsageLedger {
  record(entry: UsageEntry): Promise<void>;
  entries(
    query: UsageQuery,
    page: { cursor?: string | undefined; limit?: number | undefined },
  ): Promise<Page<UsageEntry>>;
  summarise(query: UsageQuery, groupBy: UsageGrouping): Promise<UsageSummary>;
}

export const maxSummarised = 100_000;

const emptyTotals = (): UsageTotals => ({
  requests: 0,
  promptTokens: 0,
  completionTokens: 0,
  cachedTokens: 0,
  reasoningTokens: 0,
  costNanos: 0,
  cacheHits: 0,
  failed: 0,
  unpriced: 0,
});

function add(totals: UsageTotals, entry: UsageEntry): void {
  totals.requests++;
  totals.promptTokens += entry.promptTokens;
  totals.completionTokens += entry.completionTokens;
  totals.cachedTokens += entry.cachedTokens;
  totals.reasoningTokens += entry.reasoningTokens;
  totals.costNanos += entry.costNanos;
  if (entry.cacheHit) totals.cacheHits++;
  if (entry.status !== 'ok') totals.failed++;
  if (!entry.priced) totals.unpriced++;
}

function filterOf(query: UsageQuery): Filter {
  const day: { $gte?: string; $lte?: string } = {};
  if (query.from) day.$gte = query.from;
  if (query.to) day.$lte = query.to;
  return {
    ...(query.tenantId === undefined ? {} : { tenantId: query.tenantId }),
    ...(query.apiKeyId === undefined ? {} : { apiKeyId: query.apiKeyId }),
    ...(query.model === undefined ? {} : { model: query.model }),
    ...(Object.keys(day).length > 0 ? { day } : {}),
  };
}

export interface WriteBehind {
  maxDelayMs: number;
  maxEntries: number;
}

/** Gathers entries and writes them with one `upsertMany` per batch. */
function batchedWriter(entries: Collection<UsageEntry>, options: WriteBehind): (entry: UsageEntry) => Promise<void> {
  interface Batch {
    entries: UsageEntry[];
    written: Promise<void>;
    release: () => void;
  }
  let batch: Batch | undefined;
  const write = (current: Batch) => {
    if (batch === current) batch = undefined;
    current.release();
  };
  return (entry) => {
    if (!batch) {
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const current: Batch = {
        entries: [],
        release: () => release(),
        written: gate.then(() => entries.upsertMany(current.entries)),
      };
      batch = current;
      setTimeout(() => write(current), options.maxDelayMs).unref();
    }
    const current = batch;
    current.entries.push(entry);
    if (current.entries.length >= options.maxEntries) write(current);
    return current.written;
  };
}

export async function createUsageLedger(
  store: DocumentStore,
  options: { writeBehind?: WriteBehind } = {},
): Promise<UsageLedger> {
  const entries: Collection<UsageEntry> = await store.collection<UsageEntry>('usage_ledger', {
    indexes: [
      { fields: ['tenantId', 'day'] },
      { fields: ['tenantId', 'apiKeyId', 'day'] },
      { fields: ['tenantId', 'model', 'day'] },
      { fields: ['day'] },
    ],
  });
  const record = options.writeBehind
    ? batchedWriter(entries, options.writeBehind)
    : (entry: UsageEntry) => entries.upsert(entry);
  return {
    record,
    entries: (query, page) =>
      entries.find({
        where: filterOf(query),
        orderBy: { field: 'day', direction: 'desc' },
        limit: page.limit ?? 100,
        ...(page.cursor ? { cursor: page.cursor } : {}),
      }),
    async summarise(query, groupBy) {
      const totals = emptyTotals();
      const groups = new Map<string, UsageTotals>();
      let cursor: string | undefined;
      let read = 0;
      do {
        const page = await entries.find({
          where: filterOf(query),
          orderBy: { field: 'day', direction: 'asc' },
          limit: 1000,
          ...(cursor ? { cursor } : {}),
        });
        for (const entry of page.items) {
          add(totals, entry);
          const key =
            groupBy === 'day'
              ? entry.day
              : groupBy === 'key'
                ? entry.apiKeyId
                : groupBy === 'model'
                  ? entry.model
                  : entry.tenantId;
          const group = groups.get(key) ?? emptyTotals();
          add(group, entry);
          groups.set(key, group);
        }
        read += page.items.length;
        cursor = page.nextCursor;
      } while (cursor && read < maxSummarised);
      return {
        totals,
        groups: [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, group]) => ({ key, ...group })),
        truncated: cursor !== undefined,
      };
    },
  };
}
