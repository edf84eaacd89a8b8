/**
 * Chooses how hybrid search fuses its two lists without grading on the answers, and measures the
 * choice on queries that played no part in it. Cranfield's queries are split by id: the odd ids
 * tune (fusion method and dense weight, from a small grid), the even ids are held out; MEDLINE, a
 * second public collection, is never used to choose anything, so all 30 of its queries are held
 * out. The held-out runs go through retrieval's own search (`createChunkSearch` over the embedded
 * VectorIndex, the tenant and ACL filter on every query), against BM25 alone and a textbook BM25
 * (k1 1.2, b 0.75) computed here. Grid scores come from each query's cached candidate lists, fused
 * with the functions retrieval uses (`fuseByScore`, and `fuseHybrid` for RRF in the index).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@keel/platform';
import { loadWordVectorEmbedder } from '@keel/text/embedded';
import { loadCranfield, ndcgAtK } from '@keel/text/testing';
import {
  defaultRrfK,
  fuseHybrid,
  hybridCandidateCount,
  type VectorFilter,
  type VectorHit,
  type VectorIndex,
} from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { WORD_VECTOR_FUSION } from '../apps/retrieval/src/config.js';
import { createChunkSearch } from '../apps/retrieval/src/search/chunk-search.js';
import { fuseByScore, SCORE_FUSION_DEPTH, type SearchFusion } from '../apps/retrieval/src/search/score-fusion.js';
import type { SearchQuery } from '../apps/retrieval/src/search/search-query.js';
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
import { loadMedline, type TestCollection } from './medline.js';
import { textbookBm25 } from './textbook-bm25.js';

const settings = {
  limit: 10,
  rrfK: defaultRrfK,
  /** keywordWeight is 1 throughout; only the ratio matters. RRF 0 is BM25 alone, for reference. */
  rrfDenseWeights: '0, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2',
  zscoreDenseWeights: '0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.75, 1',
  split: 'Cranfield odd query ids tune; Cranfield even ids and every MEDLINE query are held out',
  bootstrapResamples: 10_000,
  seed: 20_261_130,
  warmup: 10,
};

const collectionName = 'quality';
const tenantId = 'bench';
const logger = createLogger('fusion-weights', { level: 'silent' });

type Judgements = TestCollection['judgements'];

interface QueryLists {
  text: string;
  dense: VectorHit[];
  keyword: VectorHit[];
}

interface Indexed {
  name: string;
  collection: TestCollection;
  index: VectorIndex;
  lists: Map<string, QueryLists>;
}

export const fusionWeightsBenchmark: Benchmark = {
  name: 'fusion-weights',
  description: 'hybrid fusion chosen on odd Cranfield queries; nDCG@10 on held-out Cranfield and MEDLINE queries',
  run: async () => {
    const report: BenchmarkReport = { config: { ...settings }, tables: [], notes: [] };
    const cranfield = loadCranfield();
    const medline = loadMedline();
    if (!cranfield.available) {
      report.tables.push({ title: 'Fusion weights', rows: [skippedRow('Cranfield', cranfield.reason)] });
      report.notes.push(`skipped: ${cranfield.reason}`);
      return report;
    }
    const directory = await mkdtemp(join(tmpdir(), 'keel-bench-fusion-'));
    const opened: VectorIndex[] = [];
    try {
      const open = async (name: string, collection: TestCollection): Promise<Indexed> => {
        const index = await createEmbeddedVectorIndex({ directory: join(directory, name) });
        opened.push(index);
        return { name, collection, index, lists: await indexAndList(index, collection) };
      };
      const tuningSet = await open('Cranfield', cranfield.collection);
      const tuning = halfOf(cranfield.collection.judgements, 1);
      const chosen = chooseFusion(tuningSet, tuning, report);
      const heldOut: [Indexed, Judgements, string][] = [
        [tuningSet, halfOf(cranfield.collection.judgements, 0), 'Cranfield, even ids (112 held out)'],
      ];
      if (medline.available) {
        const medlineSet = await open('MEDLINE', medline.collection);
        heldOut.push([medlineSet, judged(medline.collection.judgements), 'MEDLINE, all 30 queries (held out)']);
      } else {
        report.notes.push(`MEDLINE skipped: ${medline.reason}`);
      }
      for (const [set, judgements, title] of heldOut) await heldOutComparison(set, judgements, title, chosen, report);
      const shipped =
        chosen.method === WORD_VECTOR_FUSION.method && chosen.denseWeight === WORD_VECTOR_FUSION.denseWeight;
      report.notes.push(
        `chosen on the tuning half: ${describe(chosen)}; retrieval's default for the word-vector embedder is ` +
          `${describe(WORD_VECTOR_FUSION)}${shipped ? ' (the same)' : ' (DIFFERENT: update apps/retrieval/src/config.ts)'}`,
      );
      return report;
    } finally {
      for (const index of opened) await index.close();
      await rm(directory, { recursive: true, force: true });
    }
  },
};

/** Indexes a collection as ingestion would (batches of 100) and caches each query's two lists. */
async function indexAndList(index: VectorIndex, collection: TestCollection): Promise<Map<string, QueryLists>> {
  const { documents, queries } = collection;
  const embedder = await loadWordVectorEmbedder();
  const vectors = await embedder.embed(documents.map((document) => document.text));
  await index.ensureCollection({ name: collectionName, dimensions: embedder.dimensions });
  for (let offset = 0; offset < documents.length; offset += 100) {
    await index.upsert(
      collectionName,
      documents.slice(offset, offset + 100).map((document, i) => ({
        id: document.id,
        vector: vectors[offset + i] as number[],
        text: document.text,
        payload: { tenantId, aclGroups: ['*'], documentId: document.id, chunkId: document.id, title: document.title },
      })),
    );
  }
  const queryVectors = await embedder.embed(queries.map((query) => query.text));
  const filter: VectorFilter = {
    must: [
      { key: 'tenantId', equals: tenantId },
      { key: 'aclGroups', anyOf: ['*'] },
    ],
  };
  const lists = new Map<string, QueryLists>();
  for (const [i, query] of queries.entries()) {
    const base = { filter, limit: SCORE_FUSION_DEPTH, vector: queryVectors[i] as number[], text: query.text };
    lists.set(query.id, {
      text: query.text,
      dense: await index.search(collectionName, { ...base, mode: 'dense' }),
      keyword: await index.search(collectionName, { ...base, mode: 'keyword' }),
    });
  }
  return lists;
}

// ---------------------------------------------------------------- choosing on the tuning half

function fusionGrid(): SearchFusion[] {
  const weights = (list: string) => list.split(',').map(Number);
  return [
    ...weights(settings.rrfDenseWeights).map((denseWeight) => ({
      method: 'rrf' as const,
      denseWeight,
      keywordWeight: 1,
    })),
    ...weights(settings.zscoreDenseWeights).map((denseWeight) => ({
      method: 'zscore' as const,
      denseWeight,
      keywordWeight: 1,
    })),
  ];
}

/** What retrieval's hybrid search returns for these cached lists under a fusion. */
function fusedTop(lists: QueryLists, fusion: SearchFusion): string[] {
  if (fusion.method === 'zscore') return ids(fuseByScore(lists.dense, lists.keyword, settings.limit, fusion));
  const depth = hybridCandidateCount(settings.limit);
  return ids(
    fuseHybrid(lists.dense.slice(0, depth), lists.keyword.slice(0, depth), settings.limit, {
      ...fusion,
      k: settings.rrfK,
    }),
  );
}

/** The best grid point on the tuning half among those using both lists; ties keep the first. */
function chooseFusion(set: Indexed, tuning: Judgements, report: BenchmarkReport): SearchFusion {
  const scored = fusionGrid().map((fusion) => ({
    fusion,
    tuning: meanOf(
      perQueryNdcg(
        mapValues(set.lists, (lists) => fusedTop(lists, fusion)),
        tuning,
      ),
    ),
  }));
  const hybrid = scored.filter(({ fusion }) => fusion.denseWeight > 0);
  const best = hybrid.reduce((top, candidate) => (candidate.tuning > top.tuning + 1e-12 ? candidate : top));
  const bm25 = meanOf(
    perQueryNdcg(
      mapValues(set.lists, ({ keyword }) => ids(keyword.slice(0, settings.limit))),
      tuning,
    ),
  );
  report.tables.push({
    title: `Grid on the tuning half (${tuning.size} judged Cranfield queries, odd ids; keywordWeight 1; BM25 alone ${bm25.toFixed(4)})`,
    rows: scored.map(({ fusion, tuning: value }) => ({
      method: fusion.method,
      denseWeight: fusion.denseWeight,
      'nDCG@10 tuning': value,
      note: fusion === best.fusion ? 'chosen' : fusion.denseWeight === 0 ? 'BM25 order' : undefined,
    })),
  });
  return best.fusion;
}

// ---------------------------------------------------------------- held-out comparison

function searchQuery(text: string, mode: SearchQuery['mode']): SearchQuery {
  return {
    tenantId,
    query: text,
    topK: settings.limit,
    aclGroups: [],
    mode,
    filters: {},
    conditions: [],
    rerankCandidates: 0,
  };
}

/** Every subject on the held-out queries; the searches go through retrieval's chunk search. */
async function heldOutComparison(
  set: Indexed,
  heldOut: Judgements,
  title: string,
  chosen: SearchFusion,
  report: BenchmarkReport,
): Promise<void> {
  const embedder = await loadWordVectorEmbedder();
  const queryIds = [...heldOut.keys()];
  const textbook = textbookBm25(set.collection.documents);
  const baselineRuns = mapValues(set.lists, ({ keyword }) => ids(keyword.slice(0, settings.limit)));
  const bm25 = perQueryNdcg(baselineRuns, heldOut);
  const textbookScores = perQueryNdcg(
    mapValues(set.lists, ({ text }) => textbook.search(text, settings.limit)),
    heldOut,
  );
  const subjects: { name: string; mode: SearchQuery['mode']; fusion: SearchFusion }[] = [
    { name: 'BM25 keyword search', mode: 'keyword', fusion: chosen },
    { name: 'dense (word vectors, SIF)', mode: 'dense', fusion: chosen },
    { name: 'hybrid, equal-weight RRF', mode: 'hybrid', fusion: { method: 'rrf', denseWeight: 1, keywordWeight: 1 } },
    {
      name: 'hybrid, RRF dense 0.05 (the previous default)',
      mode: 'hybrid',
      fusion: { method: 'rrf', denseWeight: 0.05, keywordWeight: 1 },
    },
    { name: `hybrid, chosen: ${describe(chosen)}`, mode: 'hybrid', fusion: chosen },
  ];
  const rows: Row[] = [
    { subject: 'baseline: BM25 alone', operation: 'top 10 of the keyword list', n: bm25.size, 'nDCG@10': meanOf(bm25) },
    {
      subject: 'baseline: textbook BM25 (k1 1.2, b 0.75)',
      operation: 'computed in the benchmark',
      n: textbookScores.size,
      'nDCG@10': meanOf(textbookScores),
      'Δ vs BM25 [95% CI]': pairedDifference(textbookScores, bm25),
    },
  ];
  const disagreements: string[] = [];
  for (const subject of subjects) {
    const search = createChunkSearch({
      vectors: set.index,
      collection: collectionName,
      embedder,
      logger,
      fusion: subject.fusion,
    });
    const runs = new Map<string, string[]>();
    const at = (i: number) => queryIds[(i + queryIds.length) % queryIds.length] as string;
    const { stats } = await timeEach(queryIds.length, settings.warmup, async (i) => {
      const { text } = set.lists.get(at(i)) as QueryLists;
      const response = await search.search(searchQuery(text, subject.mode));
      if (i >= 0)
        runs.set(
          at(i),
          response.chunks.map((chunk) => chunk.chunkId),
        );
    });
    if (subject.mode === 'hybrid') {
      const differing = queryIds.filter(
        (id) => fusedTop(set.lists.get(id) as QueryLists, subject.fusion).join() !== runs.get(id)?.join(),
      ).length;
      if (differing > 0) disagreements.push(`${subject.name}: ${differing} of ${queryIds.length}`);
    }
    const scores = perQueryNdcg(runs, heldOut);
    rows.push(
      latencyRow(subject.name, `${subject.mode} search`, stats as LatencyStats, {
        'nDCG@10': meanOf(scores),
        'Δ vs BM25 [95% CI]': pairedDifference(scores, bm25),
        note: `per query vs BM25: ${headToHead(scores, bm25)}`,
      }),
    );
  }
  report.tables.push({ title: `${set.name}: ${title}, nDCG@10 through retrieval's search`, rows });
  report.notes.push(
    disagreements.length === 0
      ? `${set.name}: every hybrid search equals its fusion of the cached lists`
      : `${set.name}: hybrid searches that differ from the fusion of the cached lists: ${disagreements.join('; ')}`,
  );
}

// ---------------------------------------------------------------- split and statistics

function judged(judgements: Judgements): Judgements {
  return new Map([...judgements].filter(([, gains]) => [...gains.values()].some((gain) => gain > 0)));
}

/** Judged queries whose numeric id has the given parity: 1 = odd, 0 = even. */
function halfOf(judgements: Judgements, parity: 0 | 1): Judgements {
  return new Map([...judged(judgements)].filter(([id]) => Number(id) % 2 === parity));
}

function describe(fusion: SearchFusion): string {
  return `${fusion.method}, dense ${fusion.denseWeight} : keyword ${fusion.keywordWeight}`;
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
