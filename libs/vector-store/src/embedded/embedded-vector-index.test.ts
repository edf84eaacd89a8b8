import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadWordVectorEmbedder } from '@keel/text/embedded';
import { loadCranfield, meanNdcgAtK } from '@keel/text/testing';
import { connect, makeArrowTable } from '@lancedb/lancedb';
import { afterAll, describe, expect, it } from 'vitest';
import { equalWeightFusion, fuseHybrid, hybridCandidateCount } from '../hybrid-fusion.js';
import { describeVectorIndexContract } from '../testing/vector-index-contract.js';
import type { HybridFusion, SearchMode, VectorFilter, VectorIndex } from '../vector-index.js';
import { chunkTableSchema, toRow } from './chunk-table-schema.js';
import { createEmbeddedVectorIndex } from './embedded-vector-index.js';

const run = promisify(execFile);
const directories: string[] = [];
const temporaryDirectory = async () => {
  const directory = await mkdtemp(join(tmpdir(), 'keel-vectors-'));
  directories.push(directory);
  return directory;
};
const noFilter: VectorFilter = { must: [] };
const unit = (dimensions: number, axis: number) => Array.from({ length: dimensions }, (_, d) => (d === axis ? 1 : 0));

afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

describe('embedded vector index (LanceDB)', () => {
  // Exact (flat) search, as every collection below 10,000 rows gets.
  let flatDirectory = '';
  describeVectorIndexContract(
    'embedded, flat search',
    async () => {
      flatDirectory = await temporaryDirectory();
      return createEmbeddedVectorIndex({ directory: flatDirectory });
    },
    { reopen: () => createEmbeddedVectorIndex({ directory: flatDirectory }) },
  );

  // The same behaviour once the ANN index (IVF-HNSW-SQ) and optimize() kick in early.
  let annDirectory = '';
  const annPolicy = { annIndexThreshold: 150, optimizeEveryRows: 50 };
  describeVectorIndexContract(
    'embedded, ANN index and frequent optimize',
    async () => {
      annDirectory = await temporaryDirectory();
      return createEmbeddedVectorIndex({ directory: annDirectory, ...annPolicy });
    },
    { reopen: () => createEmbeddedVectorIndex({ directory: annDirectory, ...annPolicy }) },
  );

  it('builds the BM25 index on the first rows, the ANN index at the threshold, and folds new rows in', async () => {
    const directory = await temporaryDirectory();
    const index = await createEmbeddedVectorIndex({ directory, annIndexThreshold: 60, optimizeEveryRows: 30 });
    const inspect = async () => {
      const table = await (await connect(directory)).openTable('maintained');
      return Object.fromEntries(
        (await table.listIndices()).map((info) => [
          info.columns[0],
          { type: info.indexType, unindexed: info.numUnindexedRows },
        ]),
      );
    };
    await index.ensureCollection({ name: 'maintained', dimensions: 8 });
    expect(await inspect()).toEqual({});
    const chunk = (i: number, text = `Routine entry ${i}.`) => ({
      id: `m${i}`,
      vector: unit(8, i % 8),
      text,
      payload: {},
    });

    await index.upsert(
      'maintained',
      [0, 1, 2, 3, 4].map((i) => chunk(i)),
    );
    expect(await inspect()).toEqual({ search_text: { type: 'FTS', unindexed: 0 } });

    // Written after the index was built: found before any optimize, by a flat scan of new rows.
    await index.upsert('maintained', [chunk(5, 'The hygrometer reading was unusual.')]);
    expect((await inspect()).search_text?.unindexed).toBe(1);
    const [found] = await index.search('maintained', {
      mode: 'keyword',
      text: 'hygrometer',
      filter: noFilter,
      limit: 5,
    });
    expect(found?.id).toBe('m5');

    await index.upsert(
      'maintained',
      Array.from({ length: 60 }, (_, i) => chunk(10 + i)),
    );
    const indexes = await inspect();
    expect(indexes.vector?.type).toBe('IvfHnswSq');

    await index.upsert(
      'maintained',
      Array.from({ length: 30 }, (_, i) => chunk(100 + i)),
    );
    expect(await inspect()).toEqual({
      search_text: { type: 'FTS', unindexed: 0 },
      vector: { type: 'IvfHnswSq', unindexed: 0 },
    });
    await index.close();
  });

  it('recovers a collection whose writer stopped before building its BM25 index', async () => {
    const directory = await temporaryDirectory();
    const index = await createEmbeddedVectorIndex({ directory });
    await index.ensureCollection({ name: 'orphan', dimensions: 4 });
    // Rows written straight to the table, as if the process died right after its write.
    const table = await (await connect(directory, { readConsistencyInterval: 0 })).openTable('orphan');
    const chunk = { id: 'o1', vector: unit(4, 0), text: 'Orphaned theodolite notes.', payload: {} };
    await table.add(makeArrowTable([toRow(chunk)], { schema: chunkTableSchema(4) }));

    const keyword = () => index.search('orphan', { mode: 'keyword', text: 'theodolite', filter: noFilter, limit: 5 });
    const indexedColumns = async () => (await table.listIndices()).flatMap((info) => info.columns);
    // Found meanwhile by a scan of the column; the next ensureCollection builds the index.
    expect((await keyword()).map((hit) => hit.id)).toEqual(['o1']);
    expect(await indexedColumns()).toEqual([]);
    await index.ensureCollection({ name: 'orphan', dimensions: 4 });
    expect(await indexedColumns()).toEqual(['search_text']);
    expect((await keyword()).map((hit) => hit.id)).toEqual(['o1']);
    await index.close();
  });

  describe('two processes on one directory', () => {
    it('a reader sees each write of another connection as soon as it returns', async () => {
      const directory = await temporaryDirectory();
      const writer = await createEmbeddedVectorIndex({ directory });
      const reader = await createEmbeddedVectorIndex({ directory });
      const keyword = (index: VectorIndex) =>
        index.search('shared', { mode: 'keyword', text: 'barometer', filter: noFilter, limit: 10 });

      await expect(keyword(reader)).rejects.toMatchObject({ code: 'VECTOR.COLLECTION_NOT_FOUND' });
      await writer.ensureCollection({ name: 'shared', dimensions: 4 });
      expect(await keyword(reader)).toEqual([]);

      await writer.upsert('shared', [{ id: 'a', vector: unit(4, 0), text: 'Barometer falling.', payload: { v: 1 } }]);
      expect((await keyword(reader)).map((hit) => hit.id)).toEqual(['a']);

      await writer.upsert('shared', [
        { id: 'a', vector: unit(4, 1), text: 'Barometer rising.', payload: { v: 2 } },
        { id: 'b', vector: unit(4, 2), text: 'Second barometer.', payload: { v: 1 } },
      ]);
      const dense = await reader.search('shared', { mode: 'dense', vector: unit(4, 1), filter: noFilter, limit: 1 });
      expect(dense[0]).toMatchObject({ id: 'a', payload: { v: 2 } });
      expect((await keyword(reader)).map((hit) => hit.id).sort()).toEqual(['a', 'b']);

      await writer.deleteWhere('shared', { must: [{ key: 'v', equals: 2 }] });
      expect((await keyword(reader)).map((hit) => hit.id)).toEqual(['b']);
      await Promise.all([writer.close(), reader.close()]);
    });

    it('a separate OS process writes and this process reads the result', async () => {
      const directory = await temporaryDirectory();
      const reader = await createEmbeddedVectorIndex({ directory });
      const writer = fileURLToPath(new URL('./cross-process-writer.fixture.ts', import.meta.url));
      const write = (...ids: string[]) =>
        run(process.execPath, ['--import', 'tsx', writer, directory, 'cross', '4', ...ids], { timeout: 60_000 });

      expect((await write('c1', 'c2')).stdout).toContain('wrote 2');
      const search = () =>
        reader.search('cross', {
          mode: 'hybrid',
          vector: unit(4, 0),
          text: 'seismographs',
          filter: { must: [{ key: 'tenantId', equals: 'cross' }] },
          limit: 10,
        });
      expect((await search()).map((hit) => hit.id).sort()).toEqual(['c1', 'c2']);

      // The reader keeps its table open; the next write must show up without reopening.
      await write('c3');
      const hits = await search();
      expect(hits.map((hit) => hit.id).sort()).toEqual(['c1', 'c2', 'c3']);
      expect(hits.every((hit) => hit.payload.writerPid !== process.pid)).toBe(true);
      await reader.close();
    }, 120_000);
  });

  // Quality, not speed: real BM25 over Cranfield, written the way ingestion writes (batches).
  const cranfield = loadCranfield();
  if (!cranfield.available)
    process.stderr.write(`[keel] skipping the Cranfield keyword and hybrid tests: ${cranfield.reason}\n`);
  it.skipIf(!cranfield.available)(
    `keyword search reaches BM25 quality on Cranfield${cranfield.available ? '' : ` [skipped: ${cranfield.reason}]`}`,
    async () => {
      if (!cranfield.available) return;
      const { documents, queries, judgements } = cranfield.collection;
      const index = await createEmbeddedVectorIndex({ directory: await temporaryDirectory() });
      await index.ensureCollection({ name: 'cranfield', dimensions: 2 });
      for (let start = 0; start < documents.length; start += 100) {
        await index.upsert(
          'cranfield',
          documents.slice(start, start + 100).map((document) => ({
            id: document.id,
            vector: [1, 0],
            text: document.text,
            payload: {},
          })),
        );
      }
      const runs = new Map<string, string[]>();
      const started = performance.now();
      for (const query of queries) {
        const hits = await index.search('cranfield', {
          mode: 'keyword',
          text: query.text,
          filter: noFilter,
          limit: 10,
        });
        runs.set(
          query.id,
          hits.map((hit) => hit.id),
        );
      }
      const perQuery = (performance.now() - started) / queries.length;
      const ndcg = meanNdcgAtK(runs, judgements, 10);
      console.info(`[measure] Cranfield embedded keyword nDCG@10: ${ndcg.toFixed(4)}, ${perQuery.toFixed(1)} ms/query`);
      // Textbook BM25 with the same tokenizer scores 0.333 on these judgements.
      expect(ndcg).toBeGreaterThan(0.3);
      await index.close();
    },
    120_000,
  );

  // Quality, not speed: hybrid search with the word-vector embedder on the queries the fusion
  // weights were not chosen on. bench/fusion-weights.ts chose dense 0.05 : keyword 1 on the odd
  // query ids (apps/retrieval's default for this embedder) and measured, on the even ids, nDCG@10
  // 0.333 weighted, 0.334 BM25's exact top 10, 0.273 equal-weight RRF, 0.186 dense.
  it.skipIf(!cranfield.available)(
    `weighted hybrid search keeps BM25 quality on Cranfield's held-out queries${cranfield.available ? '' : ` [skipped: ${cranfield.reason}]`}`,
    async () => {
      if (!cranfield.available) return;
      const { documents, queries, judgements } = cranfield.collection;
      const embedder = await loadWordVectorEmbedder();
      const vectors = await embedder.embed(documents.map((document) => document.text));
      const index = await createEmbeddedVectorIndex({ directory: await temporaryDirectory() });
      await index.ensureCollection({ name: 'cranfield', dimensions: embedder.dimensions });
      for (let start = 0; start < documents.length; start += 100) {
        await index.upsert(
          'cranfield',
          documents.slice(start, start + 100).map((document, i) => ({
            id: document.id,
            vector: vectors[start + i] as number[],
            text: document.text,
            payload: {},
          })),
        );
      }
      const heldOut = queries.filter((query) => Number(query.id) % 2 === 0);
      const queryVectors = await embedder.embed(heldOut.map((query) => query.text));
      const weighted: HybridFusion = { denseWeight: 0.05, keywordWeight: 1 };
      const search = (i: number, mode: SearchMode, limit: number, fusion?: HybridFusion) =>
        index.search('cranfield', {
          mode,
          vector: queryVectors[i] as number[],
          text: heldOut[i]?.text ?? '',
          filter: noFilter,
          limit,
          ...(fusion ? { fusion } : {}),
        });
      const keywordRuns = new Map<string, string[]>();
      const equalRuns = new Map<string, string[]>();
      const weightedRuns = new Map<string, string[]>();
      const ids = (hits: { id: string }[]) => hits.map((hit) => hit.id);
      for (const [i, query] of heldOut.entries()) {
        keywordRuns.set(query.id, ids(await search(i, 'keyword', 10)));
        equalRuns.set(query.id, ids(await search(i, 'hybrid', 10, equalWeightFusion)));
        const hits = await search(i, 'hybrid', 10, weighted);
        weightedRuns.set(query.id, ids(hits));
        // The adapter fuses exactly as fuseHybrid does with these weights.
        const depth = hybridCandidateCount(10);
        const expected = fuseHybrid(await search(i, 'dense', depth), await search(i, 'keyword', depth), 10, weighted);
        expect(hits).toEqual(expected);
      }
      const judged = new Map([...judgements].filter(([id]) => Number(id) % 2 === 0));
      const keyword = meanNdcgAtK(keywordRuns, judged, 10);
      const equal = meanNdcgAtK(equalRuns, judged, 10);
      const fused = meanNdcgAtK(weightedRuns, judged, 10);
      console.info(
        `[measure] Cranfield held-out nDCG@10: weighted hybrid ${fused.toFixed(4)}, ` +
          `equal-weight hybrid ${equal.toFixed(4)}, keyword ${keyword.toFixed(4)}`,
      );
      expect(fused).toBeGreaterThan(0.31);
      expect(fused).toBeGreaterThan(keyword - 0.02);
      expect(fused).toBeGreaterThan(equal + 0.03);
      await index.close();
    },
    120_000,
  );
});
