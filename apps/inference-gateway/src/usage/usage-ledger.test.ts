import type { Collection, DocumentStore, StoredDocument } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { describe, expect, it } from 'vitest';
import { createUsageLedger, type UsageEntry } from './usage-ledger.js';

const entry = (id: string, fields: Partial<UsageEntry>): UsageEntry => ({
  id,
  tenantId: 'acme',
  apiKeyId: 'k1',
  model: 'gpt-4o-mini',
  provider: 'openai',
  endpoint: '/v1/chat/completions',
  promptTokens: 10,
  completionTokens: 5,
  cachedTokens: 0,
  reasoningTokens: 0,
  costNanos: 1000,
  currency: 'USD',
  priced: true,
  cacheHit: false,
  status: 'ok',
  streamed: false,
  day: '2026-12-05',
  at: 0,
  ...fields,
});

describe('the usage ledger', () => {
  it('answers per tenant, key, model and day, grouped, and never across tenants unless asked', async () => {
    const ledger = await createUsageLedger(createEmbeddedDocumentStore({ path: ':memory:' }));
    await ledger.record(entry('a', {}));
    await ledger.record(entry('b', { apiKeyId: 'k2', model: 'claude-3-5-haiku', costNanos: 3000 }));
    await ledger.record(entry('c', { day: '2026-12-04', cacheHit: true, costNanos: 0 }));
    await ledger.record(entry('d', { tenantId: 'other', costNanos: 99_000 }));
    await ledger.record(entry('e', { status: 'CLIENT.CLOSED', priced: false, costNanos: 0 }));
    // A republished request overwrites its entry.
    await ledger.record(entry('a', { costNanos: 2000 }));

    const byDay = await ledger.summarise({ tenantId: 'acme' }, 'day');
    expect(byDay.totals).toMatchObject({ requests: 4, costNanos: 5000, cacheHits: 1, failed: 1, unpriced: 1 });
    expect(byDay.groups.map((group) => [group.key, group.requests])).toEqual([
      ['2026-12-04', 1],
      ['2026-12-05', 3],
    ]);
    const byKey = await ledger.summarise({ tenantId: 'acme', from: '2026-12-05', to: '2026-12-05' }, 'key');
    expect(byKey.groups.map((group) => [group.key, group.costNanos])).toEqual([
      ['k1', 2000],
      ['k2', 3000],
    ]);
    const oneModel = await ledger.summarise({ tenantId: 'acme', model: 'claude-3-5-haiku' }, 'model');
    expect(oneModel.totals.requests).toBe(1);
    const allTenants = await ledger.summarise({}, 'tenant');
    expect(allTenants.groups.map((group) => group.key)).toEqual(['acme', 'other']);

    const page = await ledger.entries({ tenantId: 'acme', apiKeyId: 'k1' }, { limit: 2 });
    expect(page.items.map((item) => item.id)).toEqual(['e', 'a']);
    const next = await ledger.entries({ tenantId: 'acme', apiKeyId: 'k1' }, { limit: 2, cursor: page.nextCursor });
    expect(next.items.map((item) => item.id)).toEqual(['c']);
  });

  it('writes behind in batches: one upsertMany per batch, each record resolving once its batch is stored', async () => {
    const embedded = createEmbeddedDocumentStore({ path: ':memory:' });
    const batches: number[] = [];
    let failNext = false;
    // The store as the ledger sees it, counting its batched writes and failing one on request.
    const store: DocumentStore = {
      ...embedded,
      collection: async <T extends StoredDocument>(name: string, options?: object) => {
        const collection = await embedded.collection<T>(name, options);
        const counted: Collection<T> = Object.create(collection);
        counted.upsertMany = async (documents) => {
          batches.push(documents.length);
          if (failNext) {
            failNext = false;
            throw new Error('disk full');
          }
          return collection.upsertMany(documents);
        };
        return counted;
      },
    };
    const ledger = await createUsageLedger(store, { writeBehind: { maxDelayMs: 20, maxEntries: 3 } });
    // Five at once: a full batch of three at once, the other two when the delay passes.
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => ledger.record(entry(id, {}))));
    expect(batches).toEqual([3, 2]);
    expect((await ledger.summarise({ tenantId: 'acme' }, 'day')).totals.requests).toBe(5);
    // A batch that cannot be stored fails every record in it, and the next batch is written.
    failNext = true;
    const failed = await Promise.allSettled([ledger.record(entry('f', {})), ledger.record(entry('g', {}))]);
    expect(failed.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    await ledger.record(entry('h', {}));
    expect((await ledger.summarise({ tenantId: 'acme' }, 'day')).totals.requests).toBe(6);
    await embedded.close();
  });
});
