/**
 * Chooses the weights of hybrid search's reciprocal-rank fusion without grading on the answers:
 * Cranfield's queries are split by id (odd ids tune, even ids are held out), the weights are the
 * best of a small grid on the tuning half, and quality is reported on the held-out half only, for
 * BM25, dense, equal-weight RRF and the chosen weighted RRF, each searched through the embedded
 * VectorIndex as retrieval searches it. Grid scores come from `fuseHybrid` over each query's two
 * candidate lists, the function both adapters fuse with; the held-out hybrid runs go through the
 * adapter, and a note says whether the two agree.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWordVectorEmbedder } from '@keel/text/embedded';
import { type CranfieldCollection, loadCranfield, ndcgAtK } from '@keel/text/testing';
import {
  defaultRrfK,
  equalWeightFusion,
  fuseHybrid,
  type HybridFusion,
  hybridCandidateCount,
  type VectorFilter,
  type VectorHit,
  type VectorIndex,
  type VectorQuery,
} from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import {
  type Benchmark,
  type BenchmarkReport,
  type LatencyStats,
  latencyRow,
  type Row,
  seededRandom,
  skippedRow,
  timeEach,
} from './harness.js';

const settings = {
  limit: 10,
  k: defaultRrfK,
  /** keywordWeight is 1; only the ratio matters for a fixed k. 0 is BM25 alone, for reference. */
  denseWeights: '0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.5, 2',
  split: 'odd query ids tune, even query ids are held out',
  bootstrapResamples: 10_000,
  seed: 20_261_130,
  warmup: 10,
};

const collection = 'cranfield';
// Services always filter by tenant; here every document belongs to the one tenant.
const filter: VectorFilter = { must: [{ key: 'tenantId', equals: 'cranfield' }] };

type Judgements = CranfieldCollection['judgements'];

interface QueryLists {
  vector: number[];
  text: string;
  dense: VectorHit[];
  keyword: VectorHit[];
}

export const fusionWeightsBenchmark: Benchmark = {
  name: 'fusion-weights',
  description: 'hybrid RRF weights tuned on odd Cranfield queries, nDCG@10 on the held-out even ones',
  run: async () => {
    const report: BenchmarkReport = { config: { ...settings }, tables: [], notes: [] };
    const cranfield = loadCranfield();
    if (!cranfield.available) {
      report.tables.push({ title: 'Cranfield fusion weights', rows: [skippedRow('Cranfield', cranfield.reason)] });
      report.notes.push(`Cranfield skipped: ${cranfield.reason}`);
      return report;
    }
    const directory = await mkdtemp(join(tmpdir(), 'keel-bench-fusion-'));
    try {
      const index = await createEmbeddedVectorIndex({ directory });
      try {
        await measure(index, cranfield.collection, report);
      } finally {
        await index.close();
      }
      return report;
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  },
};

async function measure(index: VectorIndex, cranfield: CranfieldCollection, report: BenchmarkReport): Promise<void> {
  const { documents, queries, judgements } = cranfield;
  const embedder = await loadWordVectorEmbedder();
  const documentVectors = await embedder.embed(documents.map((document) => document.text));
  await index.ensureCollection({ name: collection, dimensions: embedder.dimensions });
  // Batches of 100, as ingestion writes: the BM25 index is built on the first and optimize() folds in the rest.
  for (let offset = 0; offset < documents.length; offset += 100) {
    await index.upsert(
      collection,
      documents.slice(offset, offset + 100).map((document, i) => ({
        id: document.id,
        vector: documentVectors[offset + i] as number[],
        text: document.text,
        payload: { tenantId: 'cranfield' },
      })),
    );
  }

  // Each query's two candidate lists, at the depth the adapters fuse.
  const candidates = hybridCandidateCount(settings.limit);
  const queryVectors = await embedder.embed(queries.map((query) => query.text));
  const lists = new Map<string, QueryLists>();
  for (const [i, query] of queries.entries()) {
    const vector = queryVectors[i] as number[];
    const base = { filter, limit: candidates, vector, text: query.text };
    lists.set(query.id, {
      vector,
      text: query.text,
      dense: await index.search(collection, { ...base, mode: 'dense' }),
      keyword: await index.search(collection, { ...base, mode: 'keyword' }),
    });
  }

  const tuning = halfOf(judgements, 1);
  const heldOut = halfOf(judgements, 0);
  const scored = scoreGrid(lists, tuning, heldOut);
  const chosen = bestHybrid(scored);
  report.tables.push({
    title: `Grid on the tuning half (${tuning.size} judged queries, odd ids; k ${settings.k}, keywordWeight 1)`,
    rows: scored.map(({ fusion, tuning: tuned, heldOut: held }) => ({
      denseWeight: fusion.denseWeight,
      keywordWeight: fusion.keywordWeight,
      'nDCG@10 tuning': tuned,
      'nDCG@10 held out': held,
      note:
        fusion === chosen.fusion
          ? 'chosen (best on the tuning half)'
          : fusion.denseWeight === 0
            ? 'BM25 order (dense ranks reported only)'
            : undefined,
    })),
  });
  await heldOutComparison(index, lists, heldOut, chosen.fusion, report);
  report.tables.push({
    title: 'Stability: the same procedure both ways round (fused from the cached lists)',
    rows: [
      crossCheck(lists, 'odd ids', tuning, 'even ids', heldOut),
      crossCheck(lists, 'even ids', heldOut, 'odd ids', tuning),
    ],
  });
  report.notes.push(
    `chosen on the tuning half: denseWeight ${chosen.fusion.denseWeight}, keywordWeight ` +
      `${chosen.fusion.keywordWeight}, k ${chosen.fusion.k} (tuning nDCG@10 ${chosen.tuning.toFixed(3)})`,
  );
}

interface GridPoint {
  fusion: HybridFusion;
  tuning: number;
  heldOut: number;
}

/** Mean nDCG@10 of every grid point on both halves, fused from the cached candidate lists. */
function scoreGrid(lists: ReadonlyMap<string, QueryLists>, tuning: Judgements, heldOut: Judgements): GridPoint[] {
  return fusionGrid().map((fusion) => {
    const runs = fusedRuns(lists, fusion);
    return { fusion, tuning: meanOf(perQueryNdcg(runs, tuning)), heldOut: meanOf(perQueryNdcg(runs, heldOut)) };
  });
}

/** The best point on the tuning half among those that use both lists (the issue asks for hybrid); ties keep the first. */
function bestHybrid(scored: readonly GridPoint[]): GridPoint {
  const hybrid = scored.filter(({ fusion }) => fusion.denseWeight > 0 && fusion.keywordWeight > 0);
  return hybrid.reduce((best, candidate) => (candidate.tuning > best.tuning + 1e-12 ? candidate : best));
}

function crossCheck(
  lists: ReadonlyMap<string, QueryLists>,
  tunedOn: string,
  tuning: Judgements,
  evaluatedOn: string,
  heldOut: Judgements,
): Row {
  const chosen = bestHybrid(scoreGrid(lists, tuning, heldOut));
  const evaluate = (fusion: HybridFusion) => meanOf(perQueryNdcg(fusedRuns(lists, fusion), heldOut));
  return {
    'tuned on': `${tunedOn} (${tuning.size})`,
    'evaluated on': `${evaluatedOn} (${heldOut.size})`,
    'chosen denseWeight': chosen.fusion.denseWeight,
    'BM25 nDCG@10': evaluate({ denseWeight: 0, keywordWeight: 1, k: settings.k }),
    'equal RRF nDCG@10': evaluate(equalWeightFusion),
    'weighted RRF nDCG@10': chosen.heldOut,
  };
}

function fusedRuns(lists: ReadonlyMap<string, QueryLists>, fusion: HybridFusion): Map<string, string[]> {
  return mapValues(lists, ({ dense, keyword }) => ids(fuseHybrid(dense, keyword, settings.limit, fusion)));
}

/** Every subject searched through the adapter on the held-out queries, one query at a time. */
async function heldOutComparison(
  index: VectorIndex,
  lists: ReadonlyMap<string, QueryLists>,
  heldOut: Judgements,
  chosen: HybridFusion,
  report: BenchmarkReport,
): Promise<void> {
  const queryIds = [...heldOut.keys()];
  const subjects: { name: string; query: Pick<VectorQuery, 'mode' | 'fusion'> }[] = [
    { name: 'BM25 keyword', query: { mode: 'keyword' } },
    { name: 'dense (word vectors, SIF)', query: { mode: 'dense' } },
    { name: 'hybrid, equal-weight RRF', query: { mode: 'hybrid', fusion: equalWeightFusion } },
    {
      name: `hybrid, weighted RRF (dense ${chosen.denseWeight}, keyword ${chosen.keywordWeight})`,
      query: { mode: 'hybrid', fusion: chosen },
    },
  ];
  const measured: ((typeof subjects)[number] & { stats: LatencyStats; scores: Map<string, number> })[] = [];
  const disagreements: string[] = [];
  for (const subject of subjects) {
    const runs = new Map<string, string[]>();
    const at = (i: number) => queryIds[(i + queryIds.length) % queryIds.length] as string;
    const { stats } = await timeEach(queryIds.length, settings.warmup, async (i) => {
      const { vector, text } = lists.get(at(i)) as QueryLists;
      const hits = await index.search(collection, { ...subject.query, vector, text, filter, limit: settings.limit });
      if (i >= 0) runs.set(at(i), ids(hits));
    });
    const differing = queryIds.filter(
      (id) => topFromLists(lists.get(id) as QueryLists, subject.query).join() !== runs.get(id)?.join(),
    ).length;
    if (differing > 0) disagreements.push(`${subject.name}: ${differing} of ${queryIds.length}`);
    measured.push({ ...subject, stats, scores: perQueryNdcg(runs, heldOut) });
  }
  // The baseline is BM25's top 10 taken from the depth-40 keyword list, the list hybrid fuses: the
  // adapter's limit-10 keyword search can miss higher-scoring rows (see the note), which would
  // flatter the hybrid rows.
  const bm25 = perQueryNdcg(
    mapValues(lists, ({ keyword }) => ids(keyword.slice(0, settings.limit))),
    heldOut,
  );
  const equal = measured.find(({ query }) => query.fusion === equalWeightFusion)?.scores;
  const rows: Row[] = [
    {
      subject: 'baseline: BM25',
      operation: 'top 10 of the depth-40 keyword list',
      n: bm25.size,
      'nDCG@10': meanOf(bm25),
    },
    ...measured.map(({ name, query, stats, scores }) =>
      latencyRow(name, `${query.mode} search`, stats, {
        'nDCG@10': meanOf(scores),
        'Δ vs BM25 [95% CI]': pairedDifference(scores, bm25),
        'Δ vs equal RRF [95% CI]':
          query.mode === 'hybrid' && equal && scores !== equal ? pairedDifference(scores, equal) : undefined,
        note: `per query vs BM25: ${headToHead(scores, bm25)}`,
      }),
    ),
  ];
  report.tables.push({
    title: `Held-out half (${heldOut.size} judged queries, even ids): nDCG@10 through the embedded adapter`,
    rows,
  });
  report.notes.push(
    disagreements.length === 0
      ? 'every subject’s adapter results equal the top 10 of the cached depth-40 lists (fused with fuseHybrid for hybrid)'
      : 'adapter results that differ from the top 10 of the cached depth-40 lists (fused with fuseHybrid for ' +
          `hybrid), in queries: ${disagreements.join('; ')}. LanceDB's BM25 top-k at a small limit can miss ` +
          'higher-scoring rows of a table written in batches (bench/README.md, fusion-weights).',
  );
}

/** What a subject's search should return, computed from the query's cached candidate lists. */
function topFromLists(lists: QueryLists, query: Pick<VectorQuery, 'mode' | 'fusion'>): string[] {
  switch (query.mode) {
    case 'dense':
      return ids(lists.dense.slice(0, settings.limit));
    case 'keyword':
      return ids(lists.keyword.slice(0, settings.limit));
    case 'hybrid':
      return ids(fuseHybrid(lists.dense, lists.keyword, settings.limit, query.fusion));
  }
}

// ---------------------------------------------------------------- split, grid, statistics

/** Judged queries (some positive gain) whose numeric id has the given parity: 1 = odd, 0 = even. */
function halfOf(judgements: Judgements, parity: 0 | 1): Judgements {
  return new Map(
    [...judgements].filter(([id, gains]) => Number(id) % 2 === parity && [...gains.values()].some((gain) => gain > 0)),
  );
}

function fusionGrid(): HybridFusion[] {
  return settings.denseWeights
    .split(',')
    .map(Number)
    .map((denseWeight) => ({ denseWeight, keywordWeight: 1, k: settings.k }));
}

function perQueryNdcg(runs: ReadonlyMap<string, readonly string[]>, judgements: Judgements): Map<string, number> {
  return new Map(
    [...judgements].map(([id, gains]) => [id, ndcgAtK(runs.get(id) ?? [], gains, settings.limit)] as const),
  );
}

function meanOf(scores: ReadonlyMap<string, number>): number {
  return [...scores.values()].reduce((sum, score) => sum + score, 0) / Math.max(1, scores.size);
}

/**
 * The mean per-query difference and its 95% paired-bootstrap interval (queries resampled with
 * replacement, seeded): whether a gain is larger than the luck of which queries were held out.
 */
function pairedDifference(scores: ReadonlyMap<string, number>, baseline: ReadonlyMap<string, number>): string {
  const differences = [...scores].map(([id, score]) => score - (baseline.get(id) ?? 0));
  const random = seededRandom(settings.seed);
  const means = Array.from({ length: settings.bootstrapResamples }, () => {
    let sum = 0;
    for (let i = 0; i < differences.length; i++)
      sum += differences[Math.floor(random() * differences.length)] as number;
    return sum / differences.length;
  }).sort((a, b) => a - b);
  const quantile = (fraction: number) => means[Math.floor(fraction * (means.length - 1))] as number;
  const mean = differences.reduce((sum, difference) => sum + difference, 0) / differences.length;
  const signed = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)}`;
  return `${signed(mean)} [${signed(quantile(0.025))}, ${signed(quantile(0.975))}]`;
}

function headToHead(scores: ReadonlyMap<string, number>, baseline: ReadonlyMap<string, number>): string {
  let better = 0;
  let worse = 0;
  for (const [id, score] of scores) {
    const difference = score - (baseline.get(id) ?? 0);
    if (difference > 1e-9) better++;
    else if (difference < -1e-9) worse++;
  }
  return `better on ${better}, worse on ${worse}, equal on ${scores.size - better - worse}`;
}

function ids(hits: readonly VectorHit[]): string[] {
  return hits.map((hit) => hit.id);
}

function mapValues<K, V, W>(map: ReadonlyMap<K, V>, transform: (value: V) => W): Map<K, W> {
  return new Map([...map].map(([key, value]) => [key, transform(value)] as const));
}
