import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hybridCandidateCount } from '../hybrid-fusion.js';
import { defaultRrfK } from '../reciprocal-rank-fusion.js';
import type {
  HybridFusion,
  IndexedChunk,
  PayloadValue,
  VectorFilter,
  VectorHit,
  VectorIndex,
  VectorQuery,
} from '../vector-index.js';
import { cosine, fillerText, near, randomUnitVector, seededRandom } from './contract-fixtures.js';

export interface VectorIndexContractOptions {
  /** Persistent adapters: return an index over the same storage as `closed` (already closed). */
  reopen?: (closed: VectorIndex) => Promise<VectorIndex>;
  /** Removes a collection the suite created (servers shared between runs need it). */
  dropCollection?: (name: string) => Promise<void>;
}

const noFilter: VectorFilter = { must: [] };

/**
 * The behaviour every VectorIndex adapter must show, so that services behave the same on the
 * embedded default and in a cluster. Each test uses collections of its own.
 */
export function describeVectorIndexContract(
  name: string,
  makeIndex: () => Promise<VectorIndex>,
  options: VectorIndexContractOptions = {},
): void {
  describe(`VectorIndex contract: ${name}`, () => {
    let index: VectorIndex;
    const created: string[] = [];
    const run = randomUUID().slice(0, 8);

    const collection = async (label: string, dimensions: number): Promise<string> => {
      const collectionName = `contract_${run}_${label}`;
      created.push(collectionName);
      await index.ensureCollection({ name: collectionName, dimensions });
      return collectionName;
    };
    const ids = (hits: VectorHit[]) => hits.map((hit) => hit.id);
    const search = (name: string, query: Partial<VectorQuery> & Pick<VectorQuery, 'mode'>) =>
      index.search(name, { filter: noFilter, limit: 10, ...query });

    beforeAll(async () => {
      index = await makeIndex();
    });

    afterAll(async () => {
      if (options.dropCollection) {
        for (const name of created) await options.dropCollection(name).catch(() => undefined);
      }
      await index?.close();
    });

    it('reports health', async () => {
      expect(await index.health()).toMatchObject({ ok: true });
    });

    it('creates collections idempotently and rejects another dimension', async () => {
      const name = await collection('ensure', 8);
      await index.ensureCollection({ name, dimensions: 8 });
      await expect(index.ensureCollection({ name, dimensions: 16 })).rejects.toMatchObject({
        code: 'VECTOR.DIMENSION_MISMATCH',
        retryable: false,
      });
    });

    it('fails clearly on missing collections, wrong dimensions and malformed queries', async () => {
      const missing = `contract_${run}_missing`;
      await expect(search(missing, { mode: 'dense', vector: [1, 0] })).rejects.toMatchObject({
        code: 'VECTOR.COLLECTION_NOT_FOUND',
      });
      await expect(index.upsert(missing, [{ id: 'a', vector: [1, 0], text: 'a', payload: {} }])).rejects.toMatchObject({
        code: 'VECTOR.COLLECTION_NOT_FOUND',
      });
      await index.deleteWhere(missing, { must: [{ key: 'documentId', equals: 'd' }] });

      const name = await collection('invalid', 4);
      await expect(index.upsert(name, [{ id: 'a', vector: [1, 0, 0], text: 'x', payload: {} }])).rejects.toMatchObject({
        code: 'VECTOR.DIMENSION_MISMATCH',
      });
      await expect(search(name, { mode: 'dense', vector: [1, 0, 0, 0, 0] })).rejects.toMatchObject({
        code: 'VECTOR.DIMENSION_MISMATCH',
      });
      await expect(search(name, { mode: 'dense' })).rejects.toMatchObject({ code: 'VECTOR.INVALID_REQUEST' });
      await expect(search(name, { mode: 'keyword' })).rejects.toMatchObject({ code: 'VECTOR.INVALID_REQUEST' });
      await expect(search(name, { mode: 'keyword', text: 'x', limit: 0 })).rejects.toMatchObject({
        code: 'VECTOR.INVALID_REQUEST',
      });
      await expect(
        search(name, { mode: 'keyword', text: 'x', filter: { must: [{ key: 'k', equals: 'a', anyOf: ['b'] }] } }),
      ).rejects.toMatchObject({ code: 'VECTOR.INVALID_REQUEST' });
      expect(await search(name, { mode: 'hybrid', vector: [1, 0, 0, 0], text: 'nothing indexed yet' })).toEqual([]);
    });

    it('ranks dense results like a brute-force cosine oracle (300 vectors, recall@10 >= 0.9)', async () => {
      const dimensions = 32;
      const random = seededRandom(300);
      const name = await collection('dense', dimensions);
      const chunks: IndexedChunk[] = Array.from({ length: 300 }, (_, i) => ({
        id: `v${i}`,
        vector: randomUnitVector(random, dimensions),
        text: fillerText(random),
        payload: { tenantId: 't1', n: i },
      }));
      for (let start = 0; start < chunks.length; start += 100)
        await index.upsert(name, chunks.slice(start, start + 100));

      let found = 0;
      const queries = Array.from({ length: 20 }, () => randomUnitVector(random, dimensions));
      for (const vector of queries) {
        const oracle = chunks
          .map((chunk) => ({ id: chunk.id, score: cosine(vector, chunk.vector) }))
          .sort((a, b) => b.score - a.score)
          .slice(0, 10);
        const hits = await search(name, { mode: 'dense', vector });
        expect(hits).toHaveLength(10);
        found += hits.filter((hit) => oracle.some((expected) => expected.id === hit.id)).length;
        hits.forEach((hit, i) => {
          const stored = chunks.find((chunk) => chunk.id === hit.id) as IndexedChunk;
          // Scores are cosine similarities (quantised ANN indexes may be off by a little).
          expect(hit.score).toBeCloseTo(cosine(vector, stored.vector), 1);
          if (i > 0) expect(hit.score).toBeLessThanOrEqual((hits[i - 1] as VectorHit).score + 1e-6);
          expect(hit.denseRank).toBeUndefined();
        });
      }
      expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(0.9);

      const target = chunks[123] as IndexedChunk;
      const [best] = await search(name, { mode: 'dense', vector: target.vector, limit: 1 });
      expect(best?.id).toBe(target.id);
      expect(best?.score).toBeCloseTo(1, 2);
    });

    it('ranks the chunk holding a rare query term first in keyword search (BM25)', async () => {
      const random = seededRandom(7);
      const name = await collection('keyword', 8);
      const chunks: IndexedChunk[] = Array.from({ length: 40 }, (_, i) => ({
        id: `k${i}`,
        vector: randomUnitVector(random, 8),
        text: fillerText(random, 4),
        payload: {},
      }));
      (chunks[17] as IndexedChunk).text = `${fillerText(random, 4)} The xylophone recital opened the season.`;
      (chunks[29] as IndexedChunk).text =
        `${fillerText(random, 2)} Inventory of the xylophone and the logistics report.`;
      await index.upsert(name, chunks);

      const hits = await search(name, { mode: 'keyword', text: 'Xylophone recital' });
      expect(ids(hits).slice(0, 2)).toEqual(['k17', 'k29']);
      hits.forEach((hit, i) => {
        expect(hit.score).toBeGreaterThan(0);
        if (i > 0) expect(hit.score).toBeLessThanOrEqual((hits[i - 1] as VectorHit).score + 1e-6);
      });
      expect(await search(name, { mode: 'keyword', text: 'the of and' })).toEqual([]);
      expect(await search(name, { mode: 'keyword', text: 'zeppelin' })).toEqual([]);
    });

    it('fuses dense and keyword lists in hybrid search and reports both ranks', async () => {
      const dimensions = 16;
      const random = seededRandom(11);
      const name = await collection('hybrid', dimensions);
      const queryVector = randomUnitVector(random, dimensions);
      const chunks: IndexedChunk[] = Array.from({ length: 120 }, (_, i) => ({
        id: `h${i}`,
        vector: randomUnitVector(random, dimensions),
        text: fillerText(random),
        payload: { tenantId: 't1' },
      }));
      // h0 is the nearest vector but lacks the keyword; h1 has the keyword; h2 has both.
      (chunks[0] as IndexedChunk).vector = near(random, queryVector, 0.05);
      (chunks[1] as IndexedChunk).text = 'Anemometer calibration drifted after the storm.';
      (chunks[2] as IndexedChunk).vector = near(random, queryVector, 0.3);
      (chunks[2] as IndexedChunk).text = 'The anemometer was replaced during maintenance.';
      await index.upsert(name, chunks);

      const limit = 10;
      const query = { vector: queryVector, text: 'anemometer readings', limit };
      const hits = await search(name, { mode: 'hybrid', ...query });
      const candidates = hybridCandidateCount(limit);
      const dense = ids(await search(name, { mode: 'dense', vector: queryVector, limit: candidates }));
      const keyword = ids(await search(name, { mode: 'keyword', text: query.text, limit: candidates }));

      expect(hits.length).toBe(limit);
      expect(new Set(ids(hits)).size).toBe(limit);
      expect(ids(hits)).toEqual(expect.arrayContaining(['h0', 'h1', 'h2']));
      expect(hits[0]?.id).toBe('h2');
      for (const [i, hit] of hits.entries()) {
        expect(hit.denseRank).toBe(dense.indexOf(hit.id) + 1);
        expect(hit.keywordRank).toBe(keyword.indexOf(hit.id) + 1);
        const fused = [hit.denseRank ?? 0, hit.keywordRank ?? 0]
          .filter((rank) => rank > 0)
          .reduce((sum, rank) => sum + 1 / (defaultRrfK + rank), 0);
        expect(hit.score).toBeCloseTo(fused, 10);
        if (i > 0) expect(hit.score).toBeLessThanOrEqual((hits[i - 1] as VectorHit).score);
      }
      expect(hits.find((hit) => hit.id === 'h0')?.denseRank).toBe(1);
      expect(hits.find((hit) => hit.id === 'h1')?.keywordRank).toBeGreaterThan(0);
      expect(hits.some((hit) => hit.keywordRank === 0)).toBe(true);
    });

    it('weights the dense and keyword lists of a hybrid search as the query asks', async () => {
      const dimensions = 16;
      const random = seededRandom(12);
      const name = await collection('weighted', dimensions);
      const queryVector = randomUnitVector(random, dimensions);
      await index.upsert(
        name,
        Array.from({ length: 60 }, (_, i) => ({
          id: `w${i}`,
          vector: randomUnitVector(random, dimensions),
          // Every third chunk holds the keyword, each a different number of times: no BM25 ties.
          text: i % 3 === 0 ? `${'barometer '.repeat(1 + i / 3)}log.` : fillerText(random),
          payload: {},
        })),
      );
      const query = { vector: queryVector, text: 'barometer', limit: 10 };
      const hybrid = (fusion: HybridFusion) => search(name, { mode: 'hybrid', ...query, fusion });
      const dense = ids(await search(name, { mode: 'dense', vector: queryVector }));
      const keyword = ids(await search(name, { mode: 'keyword', text: query.text }));
      expect(dense).not.toEqual(keyword);
      expect(ids(await hybrid({ denseWeight: 1, keywordWeight: 0 }))).toEqual(dense);
      const keywordOnly = await hybrid({ denseWeight: 0, keywordWeight: 2 });
      expect(ids(keywordOnly)).toEqual(keyword);
      expect(keywordOnly.some((hit) => (hit.denseRank ?? 0) > 0)).toBe(true);
      const hits = await hybrid({ denseWeight: 0.3, keywordWeight: 1, k: 10 });
      expect(hits).toHaveLength(10);
      for (const [i, hit] of hits.entries()) {
        const expected =
          (hit.denseRank ? 0.3 / (10 + hit.denseRank) : 0) + (hit.keywordRank ? 1 / (10 + hit.keywordRank) : 0);
        expect(hit.score).toBeCloseTo(expected, 12);
        if (i > 0) expect(hit.score).toBeLessThanOrEqual((hits[i - 1] as VectorHit).score);
      }
      await expect(hybrid({ denseWeight: 0, keywordWeight: 0 })).rejects.toMatchObject({
        code: 'VECTOR.INVALID_REQUEST',
      });
    });

    it('never returns another tenant’s chunks, in any mode, and filters before ranking', async () => {
      const dimensions = 16;
      const random = seededRandom(21);
      const name = await collection('tenants', dimensions);
      const queryVector = randomUnitVector(random, dimensions);
      const chunk = (tenantId: string, i: number): IndexedChunk => ({
        id: `${tenantId}-${i}`,
        // Tenant A's chunks are all nearer the query than tenant B's.
        vector: tenantId === 'A' ? near(random, queryVector, 0.2) : randomUnitVector(random, dimensions),
        text: `Turbine blade inspection ${i}. ${fillerText(random)}`,
        payload: { tenantId, documentId: `${tenantId}-doc` },
      });
      await index.upsert(name, [
        ...Array.from({ length: 60 }, (_, i) => chunk('A', i)),
        ...Array.from({ length: 3 }, (_, i) => chunk('B', i)),
      ]);
      const onlyB: VectorFilter = { must: [{ key: 'tenantId', equals: 'B' }] };
      const expected = ['B-0', 'B-1', 'B-2'];
      for (const mode of ['dense', 'keyword', 'hybrid'] as const) {
        const hits = await search(name, { mode, vector: queryVector, text: 'turbine blade', filter: onlyB, limit: 10 });
        expect(ids(hits).sort(), mode).toEqual(expected);
      }
      const noSuchTenant: VectorFilter = { must: [{ key: 'tenantId', equals: 'C' }] };
      for (const mode of ['dense', 'keyword', 'hybrid'] as const) {
        expect(await search(name, { mode, vector: queryVector, text: 'turbine', filter: noSuchTenant })).toEqual([]);
      }
    });

    it('filters with anyOf on arrays and equals on strings, booleans, numbers and dotted keys', async () => {
      const name = await collection('filters', 4);
      const payloads: Record<string, Record<string, PayloadValue>> = {
        p1: { aclGroups: ['*'], public: true, documentVersion: 1, 'meta.lang': 'en', weight: 0.5 },
        p2: { aclGroups: ['eng', 'ops'], public: false, documentVersion: 2, 'meta.lang': 'de', weight: 1.5 },
        p3: { aclGroups: ['hr'], public: false, documentVersion: 2, 'meta.lang': 'en', weight: 0.5 },
        p4: { aclGroups: [], public: true, documentVersion: 3, title: 'ops' },
      };
      await index.upsert(
        name,
        Object.entries(payloads).map(([id, payload], i) => ({
          id,
          vector: [1, i / 10, 0, 0],
          text: `Quarterly figures, part ${id}.`,
          payload,
        })),
      );
      const matching = async (must: VectorFilter['must']) => {
        const dense = ids(await search(name, { mode: 'dense', vector: [1, 0, 0, 0], filter: { must }, limit: 50 }));
        const keyword = ids(
          await search(name, { mode: 'keyword', text: 'quarterly figures', filter: { must }, limit: 50 }),
        );
        expect(keyword.sort()).toEqual([...dense].sort());
        return dense.sort();
      };
      expect(await matching([{ key: 'aclGroups', anyOf: ['*', 'ops'] }])).toEqual(['p1', 'p2']);
      expect(await matching([{ key: 'aclGroups', equals: 'eng' }])).toEqual(['p2']);
      expect(await matching([{ key: 'aclGroups', anyOf: [] }])).toEqual([]);
      expect(await matching([{ key: 'public', equals: true }])).toEqual(['p1', 'p4']);
      expect(await matching([{ key: 'public', equals: false }])).toEqual(['p2', 'p3']);
      expect(await matching([{ key: 'documentVersion', equals: 2 }])).toEqual(['p2', 'p3']);
      expect(await matching([{ key: 'weight', equals: 0.5 }])).toEqual(['p1', 'p3']);
      expect(await matching([{ key: 'meta.lang', equals: 'en' }])).toEqual(['p1', 'p3']);
      expect(await matching([{ key: 'title', anyOf: ['ops', 'x'] }])).toEqual(['p4']);
      expect(
        await matching([
          { key: 'meta.lang', equals: 'en' },
          { key: 'documentVersion', equals: 2 },
        ]),
      ).toEqual(['p3']);
      expect(await matching([{ key: 'missing', equals: 'x' }])).toEqual([]);
    });

    it('filters with range and exists on numbers, strings, arrays and missing keys', async () => {
      const name = await collection('range', 4);
      const payloads: Record<string, Record<string, PayloadValue>> = {
        n1: { 'meta.year': 1999, 'meta.page': 1, tags: ['a'], label: 'x' },
        n2: { 'meta.year': 2005.5, 'meta.page': 12, tags: [], label: '2005' },
        n3: { 'meta.year': 2010, tags: ['a', 'b'] },
        n4: { 'meta.year': '2007', 'meta.page': -3, label: 'y' },
        n5: { flag: true },
      };
      await index.upsert(
        name,
        Object.entries(payloads).map(([id, payload], i) => ({
          id,
          vector: [1, i / 10, 0, 0],
          text: `Annual review, entry ${id}.`,
          payload,
        })),
      );
      const matching = async (must: VectorFilter['must']) => {
        const dense = ids(await search(name, { mode: 'dense', vector: [1, 0, 0, 0], filter: { must }, limit: 50 }));
        const keyword = ids(
          await search(name, { mode: 'keyword', text: 'annual review', filter: { must }, limit: 50 }),
        );
        const hybrid = ids(
          await search(name, { mode: 'hybrid', vector: [1, 0, 0, 0], text: 'annual', filter: { must }, limit: 50 }),
        );
        expect(keyword.sort()).toEqual([...dense].sort());
        expect(hybrid.sort()).toEqual([...dense].sort());
        return dense.sort();
      };
      // Numbers only: the string "2007" is not in any numeric range.
      expect(await matching([{ key: 'meta.year', range: { gte: 2000 } }])).toEqual(['n2', 'n3']);
      expect(await matching([{ key: 'meta.year', range: { gt: 1999, lt: 2010 } }])).toEqual(['n2']);
      expect(await matching([{ key: 'meta.year', range: { lte: 2010 } }])).toEqual(['n1', 'n2', 'n3']);
      expect(await matching([{ key: 'meta.year', range: { gte: 2005.5, lte: 2005.5 } }])).toEqual(['n2']);
      expect(await matching([{ key: 'meta.page', range: { lt: 0 } }])).toEqual(['n4']);
      expect(await matching([{ key: 'label', range: { gte: 0 } }])).toEqual([]);
      expect(await matching([{ key: 'tags', range: { gte: 0 } }])).toEqual([]);
      expect(await matching([{ key: 'missing', range: { gte: 0 } }])).toEqual([]);
      // exists: an empty array holds no value; any scalar does (false and "" included).
      expect(await matching([{ key: 'meta.page', exists: true }])).toEqual(['n1', 'n2', 'n4']);
      expect(await matching([{ key: 'meta.page', exists: false }])).toEqual(['n3', 'n5']);
      expect(await matching([{ key: 'tags', exists: true }])).toEqual(['n1', 'n3']);
      expect(await matching([{ key: 'tags', exists: false }])).toEqual(['n2', 'n4', 'n5']);
      expect(await matching([{ key: 'flag', exists: true }])).toEqual(['n5']);
      expect(await matching([{ key: 'missing', exists: false }])).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
      expect(
        await matching([
          { key: 'meta.year', range: { gte: 1990 } },
          { key: 'label', exists: true },
          { key: 'tags', anyOf: ['a'] },
        ]),
      ).toEqual(['n1']);

      // Deletes take the same conditions.
      await index.deleteWhere(name, { must: [{ key: 'meta.year', range: { lt: 2000 } }] });
      await index.deleteWhere(name, {
        must: [
          { key: 'meta.page', exists: false },
          { key: 'flag', equals: true },
        ],
      });
      expect(await matching([])).toEqual(['n2', 'n3', 'n4']);

      for (const bad of [
        { key: 'meta.year', range: {} },
        { key: 'meta.year', range: { gte: '2000' } },
        { key: 'meta.year', range: { gte: Number.NaN } },
        { key: 'meta.year', range: { from: 1 } },
        { key: 'meta.year', exists: 'yes' },
        { key: 'meta.year', exists: true, equals: 1 },
      ]) {
        await expect(
          search(name, { mode: 'dense', vector: [1, 0, 0, 0], filter: { must: [bad as never] } }),
          JSON.stringify(bad),
        ).rejects.toMatchObject({ code: 'VECTOR.INVALID_REQUEST' });
      }
    });

    it('returns text and payload exactly as stored', async () => {
      const name = await collection('payload', 4);
      const payload: Record<string, PayloadValue> = {
        tenantId: 'tenant-ü',
        documentId: 'doc\'1"',
        startOffset: 0,
        endOffset: 1234,
        score: -0.25,
        aclGroups: ['a b', 'ç', "it's"],
        flag: false,
        'meta.source': 'https://example.org/a?b=c',
      };
      const text = 'Line one\nLine “two” — with ünïcödé and emoji 🚀.';
      await index.upsert(name, [{ id: 'doc/1#0', vector: [0, 1, 0, 0], text, payload }]);
      const [hit] = await search(name, { mode: 'dense', vector: [0, 1, 0, 0], limit: 1 });
      expect(hit).toMatchObject({ id: 'doc/1#0', text, payload });
      const filtered = await search(name, {
        mode: 'keyword',
        text: 'unicode line',
        filter: {
          must: [
            { key: 'documentId', equals: 'doc\'1"' },
            { key: 'aclGroups', anyOf: ["it's"] },
          ],
        },
      });
      expect(ids(filtered)).toEqual(['doc/1#0']);
    });

    it('replaces a chunk on re-upsert, in every mode', async () => {
      const name = await collection('replace', 4);
      await index.upsert(name, [
        { id: 'r1', vector: [1, 0, 0, 0], text: 'The albatross glides.', payload: { version: 1 } },
        { id: 'r2', vector: [0, 0, 1, 0], text: 'Unrelated filler.', payload: { version: 1 } },
      ]);
      await index.upsert(name, [
        { id: 'r1', vector: [0, 1, 0, 0], text: 'An early draft.', payload: { version: 2 } },
        // Within one batch the last chunk with an id wins.
        { id: 'r1', vector: [0, 1, 0, 0], text: 'The pelican dives.', payload: { version: 3 } },
      ]);
      expect(await search(name, { mode: 'keyword', text: 'albatross' })).toEqual([]);
      const [byKeyword] = await search(name, { mode: 'keyword', text: 'pelican' });
      expect(byKeyword).toMatchObject({ id: 'r1', text: 'The pelican dives.', payload: { version: 3 } });
      const [byVector] = await search(name, { mode: 'dense', vector: [0, 1, 0, 0], limit: 1 });
      expect(byVector).toMatchObject({ id: 'r1', payload: { version: 3 } });
      expect(byVector?.score).toBeCloseTo(1, 2);
      const hybrid = await search(name, { mode: 'hybrid', vector: [1, 0, 0, 0], text: 'pelican albatross' });
      expect(ids(hybrid).sort()).toEqual(['r1', 'r2']);
    });

    it('deletes by filter from every mode, idempotently', async () => {
      const random = seededRandom(5);
      const name = await collection('delete', 8);
      const chunks: IndexedChunk[] = ['d1', 'd2'].flatMap((documentId) =>
        Array.from({ length: 5 }, (_, i) => ({
          id: `${documentId}#${i}`,
          vector: randomUnitVector(random, 8),
          text: `Harbour crane manual ${documentId} section ${i}.`,
          payload: { tenantId: 't', documentId },
        })),
      );
      await index.upsert(name, chunks);
      const deleteD1: VectorFilter = { must: [{ key: 'documentId', equals: 'd1' }] };
      await index.deleteWhere(name, deleteD1);
      await index.deleteWhere(name, deleteD1);
      await index.deleteWhere(name, { must: [{ key: 'documentId', anyOf: [] }] });
      const vector = (chunks[0] as IndexedChunk).vector;
      for (const mode of ['dense', 'keyword', 'hybrid'] as const) {
        const hits = await search(name, { mode, vector, text: 'harbour crane manual', limit: 50 });
        expect(ids(hits).sort(), mode).toEqual(['d2#0', 'd2#1', 'd2#2', 'd2#3', 'd2#4']);
      }
    });

    it.skipIf(!options.reopen)('keeps writes, replacements and deletes across close and reopen', async () => {
      const name = await collection('reopen', 4);
      await index.upsert(name, [
        { id: 'keep', vector: [0, 0, 0, 1], text: 'Persistent lighthouse log.', payload: { tenantId: 't', n: 1 } },
        { id: 'gone', vector: [0, 0, 1, 0], text: 'Lighthouse keeper rota.', payload: { tenantId: 't', n: 2 } },
        { id: 'moved', vector: [1, 0, 0, 0], text: 'Old lighthouse lamp.', payload: { tenantId: 't', n: 3 } },
      ]);
      await index.deleteWhere(name, { must: [{ key: 'n', range: { gte: 2, lt: 3 } }] });
      await index.upsert(name, [
        { id: 'moved', vector: [0, 1, 0, 0], text: 'New foghorn.', payload: { tenantId: 't', n: 4 } },
      ]);
      await index.close();
      index = await (options.reopen as NonNullable<VectorIndexContractOptions['reopen']>)(index);
      await index.ensureCollection({ name, dimensions: 4 });
      const tenant: VectorFilter = { must: [{ key: 'tenantId', equals: 't' }] };
      const keyword = await search(name, { mode: 'keyword', text: 'lighthouse', filter: tenant });
      expect(ids(keyword)).toEqual(['keep']);
      expect(keyword[0]).toMatchObject({
        id: 'keep',
        text: 'Persistent lighthouse log.',
        payload: { tenantId: 't', n: 1 },
      });
      const [dense] = await search(name, { mode: 'dense', vector: [0, 0, 0, 1], limit: 1 });
      expect(dense?.id).toBe('keep');
      const [moved] = await search(name, { mode: 'dense', vector: [0, 1, 0, 0], limit: 1 });
      expect(moved).toMatchObject({ id: 'moved', text: 'New foghorn.', payload: { n: 4 } });
      expect(ids(await search(name, { mode: 'dense', vector: [0, 0, 1, 0], limit: 10 })).sort()).toEqual([
        'keep',
        'moved',
      ]);
      // The reopened index takes writes and deletes as before.
      await index.deleteWhere(name, {
        must: [
          { key: 'n', exists: true },
          { key: 'n', range: { gt: 3 } },
        ],
      });
      expect(ids(await search(name, { mode: 'hybrid', vector: [0, 1, 0, 0], text: 'foghorn lighthouse' }))).toEqual([
        'keep',
      ]);
    });
  });
}
