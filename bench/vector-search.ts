/**
 * The embedded VectorIndex (LanceDB) on synthetic multi-tenant chunks, against a brute-force
 * Float32Array cosine scan computed in the same run (the exact answer, and its own latency),
 * then search quality on Cranfield: BM25 keyword vs dense word vectors vs hybrid RRF.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWordVectorEmbedder, type WordVectorLoadInfo } from '@keel/text/embedded';
import { loadCranfield, meanNdcgAtK, ndcgAtK } from '@keel/text/testing';
import type { IndexedChunk, SearchMode, VectorFilter, VectorIndex } from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import {
  type Benchmark,
  type BenchmarkReport,
  elapsedSince,
  gaussian,
  integerSetting,
  latencyRow,
  memoryRow,
  memorySnapshot,
  pick,
  type Row,
  seededRandom,
  skippedRow,
  timeEach,
} from './harness.js';

const settings = {
  rows: integerSetting('BENCH_VECTOR_ROWS', 20_000),
  queries: integerSetting('BENCH_VECTOR_QUERIES', 200),
  batchSize: integerSetting('BENCH_VECTOR_BATCH', 100),
  dimensions: 100,
  /** Latent dimensions: real embeddings occupy a low-rank subspace, uniform noise would not. */
  rank: 16,
  tenants: 8,
  aclGroups: 6,
  vocabulary: 4_000,
  limit: 10,
  warmup: 20,
  seed: 20_240_601,
};

const collection = 'bench_chunks';

export const vectorSearchBenchmark: Benchmark = {
  name: 'vector-search',
  description: 'embedded VectorIndex vs brute-force cosine; Cranfield nDCG@10 of keyword, dense and hybrid',
  run: async () => {
    const directory = await mkdtemp(join(tmpdir(), 'keel-bench-vectors-'));
    try {
      const report: BenchmarkReport = { config: { ...settings }, tables: [], notes: [] };
      await syntheticBenchmark(directory, report);
      await cranfieldBenchmark(directory, report);
      return report;
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  },
};

// ---------------------------------------------------------------- synthetic corpus

interface Corpus {
  chunks: IndexedChunk[];
  /** Row-major unit vectors, the brute-force baseline's copy. */
  matrix: Float32Array;
  tenantOf: Uint8Array;
  /** Bit g set when the row is readable by ACL group g. */
  aclOf: Uint8Array;
}

interface BenchQuery {
  vector: number[];
  text: string;
  tenant: number;
  aclMask: number;
  filter: VectorFilter;
}

const tenantName = (tenant: number) => `tenant-${tenant}`;
const groupName = (group: number) => `group-${group}`;

/**
 * Pronounceable pseudo-words (`n` + 70 written in base 70, one consonant-vowel syllable per digit,
 * then a final "n" so that no word is an English stopword): the BM25 tokenizer keeps them as terms.
 */
function makeVocabulary(size: number): string[] {
  const consonants = 'bdfgklmnprstvz';
  const vowels = 'aeiou';
  const syllables = [...vowels].flatMap((vowel) => [...consonants].map((consonant) => consonant + vowel));
  return Array.from({ length: size }, (_, n) => {
    let word = 'n';
    for (let rest = n + syllables.length; rest > 0; rest = Math.floor(rest / syllables.length)) {
      word = syllables[rest % syllables.length] + word;
    }
    return word;
  });
}

/** Draws ranks with probability ∝ 1/(rank+1): word frequencies in text are roughly Zipfian. */
function zipfSampler(size: number, random: () => number): () => number {
  const cumulative = new Float64Array(size);
  let total = 0;
  for (let rank = 0; rank < size; rank++) {
    total += 1 / (rank + 1);
    cumulative[rank] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = size - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((cumulative[middle] as number) < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

/** Unit vectors in a random `rank`-dimensional subspace with decaying variance, plus a little noise. */
function lowRankVectors(random: () => number) {
  const normal = gaussian(random);
  const { rank, dimensions } = settings;
  const basis = Array.from({ length: rank }, (_, j) =>
    Array.from({ length: dimensions }, () => normal() / Math.sqrt(j + 1)),
  );
  return (): number[] => {
    const vector = Array.from({ length: dimensions }, () => 0.5 * normal());
    for (const direction of basis) {
      const weight = normal();
      for (let d = 0; d < dimensions; d++) vector[d] = (vector[d] as number) + weight * (direction[d] as number);
    }
    const norm = Math.hypot(...vector);
    return vector.map((value) => value / norm);
  };
}

function makeCorpus(): { corpus: Corpus; queries: BenchQuery[] } {
  const random = seededRandom(settings.seed);
  const nextVector = lowRankVectors(random);
  const vocabulary = makeVocabulary(settings.vocabulary);
  const nextWord = zipfSampler(vocabulary.length, random);
  const { rows, dimensions } = settings;
  const corpus: Corpus = {
    chunks: [],
    matrix: new Float32Array(rows * dimensions),
    tenantOf: new Uint8Array(rows),
    aclOf: new Uint8Array(rows),
  };
  for (let row = 0; row < rows; row++) {
    const vector = nextVector();
    corpus.matrix.set(vector, row * dimensions);
    const tenant = Math.floor(random() * settings.tenants);
    const groups = [...new Set([pick(random, groupIds()), pick(random, groupIds())])];
    corpus.tenantOf[row] = tenant;
    corpus.aclOf[row] = groups.reduce((mask, group) => mask | (1 << group), 0);
    const length = 20 + Math.floor(random() * 40);
    corpus.chunks.push({
      id: `chunk-${row}`,
      vector,
      text: Array.from({ length }, () => vocabulary[nextWord()]).join(' '),
      payload: {
        tenantId: tenantName(tenant),
        documentId: `doc-${Math.floor(row / 8)}`,
        aclGroups: groups.map(groupName),
      },
    });
  }
  const queries = Array.from({ length: settings.queries + settings.warmup }, (): BenchQuery => {
    const tenant = Math.floor(random() * settings.tenants);
    const [first, second] = [pick(random, groupIds()), pick(random, groupIds())];
    // Ranks 50-2,000: each term occurs some 50 to 1,800 times in 20k chunks, like a real question's words.
    const text = Array.from({ length: 3 }, () => vocabulary[50 + Math.floor(random() * 1_950)]).join(' ');
    return {
      vector: nextVector(),
      text,
      tenant,
      aclMask: (1 << first) | (1 << second),
      filter: {
        must: [
          { key: 'tenantId', equals: tenantName(tenant) },
          { key: 'aclGroups', anyOf: [groupName(first), groupName(second)] },
        ],
      },
    };
  });
  return { corpus, queries };
}

function groupIds(): number[] {
  return Array.from({ length: settings.aclGroups }, (_, group) => group);
}

// ---------------------------------------------------------------- brute-force baseline

/** Exact top-k by dot product (= cosine on unit vectors) over the rows `accept` lets through. */
function bruteForceTopK(
  matrix: Float32Array,
  dimensions: number,
  query: readonly number[],
  k: number,
  accept: (row: number) => boolean,
): number[] {
  const probe = Float32Array.from(query);
  const best: { row: number; score: number }[] = [];
  const rows = matrix.length / dimensions;
  for (let row = 0; row < rows; row++) {
    if (!accept(row)) continue;
    let score = 0;
    const offset = row * dimensions;
    for (let d = 0; d < dimensions; d++) score += (matrix[offset + d] as number) * (probe[d] as number);
    if (best.length === k && score <= (best[k - 1] as { score: number }).score) continue;
    let position = best.length === k ? k - 1 : best.length;
    while (position > 0 && (best[position - 1] as { score: number }).score < score) {
      best[position] = best[position - 1] as { row: number; score: number };
      position--;
    }
    best[position] = { row, score };
  }
  return best.map((hit) => hit.row);
}

// ---------------------------------------------------------------- synthetic benchmark

async function syntheticBenchmark(directory: string, report: BenchmarkReport): Promise<void> {
  const memory: Row[] = [];
  const start = memorySnapshot();
  const { corpus, queries } = makeCorpus();
  const generated = memorySnapshot();
  memory.push(memoryRow('synthetic data', 'generated (JS arrays + Float32Array copy)', start, generated));

  const index = await createEmbeddedVectorIndex({ directory: join(directory, 'synthetic') });
  await index.ensureCollection({ name: collection, dimensions: settings.dimensions });
  const batches: IndexedChunk[][] = [];
  for (let offset = 0; offset < corpus.chunks.length; offset += settings.batchSize) {
    batches.push(corpus.chunks.slice(offset, offset + settings.batchSize));
  }
  const upsertStarted = performance.now();
  const upserts = await timeEach(batches.length, 0, (b) => index.upsert(collection, batches[b] as IndexedChunk[]));
  const upsertMs = elapsedSince(upsertStarted);
  const written = memorySnapshot();
  memory.push(memoryRow('embedded (LanceDB)', `after upserting ${settings.rows} rows`, generated, written));

  // The slowest batch is where index maintenance happened (ANN build, optimize): say which it was.
  const slowest = upserts.samples.indexOf(upserts.stats.maxMs);
  const diskMb = (await directorySize(join(directory, 'synthetic'))) / 1024 / 1024;
  const rows: Row[] = [
    latencyRow('embedded (LanceDB)', `upsert, batches of ${settings.batchSize}`, upserts.stats, {
      'rows/s': (settings.rows * 1000) / upsertMs,
      note:
        `${(upsertMs / 1000).toFixed(1)} s in all; slowest: the batch ending at row ` +
        `${(slowest + 1) * settings.batchSize}; ${diskMb.toFixed(0)} MB on disk`,
    }),
  ];

  const measured = queries.slice(settings.warmup);
  const queryAt = (i: number) => (i < 0 ? queries[settings.warmup + i] : measured[i]) as BenchQuery;
  const noFilter: VectorFilter = { must: [] };
  // A selective prefilter (one tenant of 8, ACL groups shared: about 6% of the rows) and no filter
  // at all (one tenant owning everything), which is where the ANN index has to do the work.
  const cases = [
    { mode: 'dense', filtered: true },
    { mode: 'keyword', filtered: true },
    { mode: 'hybrid', filtered: true },
    { mode: 'dense', filtered: false },
  ] as const;
  const recallColumn = `recall@${settings.limit}`;
  for (const { mode, filtered } of cases) {
    const found: string[][] = [];
    const { stats } = await timeEach(measured.length, settings.warmup, async (i) => {
      const hits = await search(index, collection, mode, queryAt(i), filtered ? queryAt(i).filter : noFilter);
      if (i >= 0) found[i] = hits.map((hit) => hit.id);
    });
    const label = `${mode} search, ${filtered ? 'tenant + ACL filter' : 'no filter'}`;
    if (mode !== 'dense') {
      rows.push(latencyRow('embedded (LanceDB)', label, stats));
      continue;
    }
    const exact: string[][] = [];
    const baseline = await timeEach(measured.length, settings.warmup, (i) => {
      const query = queryAt(i);
      const accept = (row: number) =>
        !filtered || (corpus.tenantOf[row] === query.tenant && ((corpus.aclOf[row] as number) & query.aclMask) !== 0);
      const top = bruteForceTopK(corpus.matrix, settings.dimensions, query.vector, settings.limit, accept);
      if (i >= 0) exact[i] = top.map((row) => `chunk-${row}`);
    });
    // recall@k: the share of the exact top k (same filter) that the index returned.
    const recall =
      exact.reduce((sum, ids, i) => {
        const returned = new Set(found[i]);
        return sum + ids.filter((id) => returned.has(id)).length / Math.max(1, ids.length);
      }, 0) / exact.length;
    rows.push(
      latencyRow('embedded (LanceDB)', label, stats, { [recallColumn]: recall }),
      latencyRow('baseline: brute-force Float32Array', label, baseline.stats, { [recallColumn]: 1 }),
    );
  }

  memory.push(memoryRow('embedded (LanceDB)', 'after the queries', written, memorySnapshot()));
  await index.close();
  report.tables.push(
    { title: `Synthetic: ${settings.rows} chunks, ${settings.dimensions}-d rank-${settings.rank} vectors`, rows },
    { title: 'Synthetic: memory (after a full GC)', rows: memory },
  );
}

function search(
  index: VectorIndex,
  name: string,
  mode: SearchMode,
  query: { vector: number[]; text: string },
  filter: VectorFilter,
) {
  return index.search(name, { mode, vector: query.vector, text: query.text, filter, limit: settings.limit });
}

async function directorySize(path: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

// ---------------------------------------------------------------- Cranfield quality

async function cranfieldBenchmark(directory: string, report: BenchmarkReport): Promise<void> {
  const title = 'Cranfield (1,400 abstracts, 225 queries): nDCG@10 and query latency';
  const cranfield = loadCranfield();
  if (!cranfield.available) {
    report.tables.push({ title, rows: [skippedRow('Cranfield', cranfield.reason)] });
    report.notes.push(`Cranfield skipped: ${cranfield.reason}`);
    return;
  }
  const { documents, queries, judgements } = cranfield.collection;
  const before = memorySnapshot();
  let load: WordVectorLoadInfo | undefined;
  const loadStarted = performance.now();
  const embedder = await loadWordVectorEmbedder({
    onLoad: (info) => {
      load = info;
    },
  });
  const loadMs = elapsedSince(loadStarted);
  const embedStarted = performance.now();
  const documentVectors = await embedder.embed(documents.map((document) => document.text));
  const embedMs = elapsedSince(embedStarted);

  const index = await createEmbeddedVectorIndex({ directory: join(directory, 'cranfield') });
  await index.ensureCollection({ name: 'cranfield', dimensions: embedder.dimensions });
  for (let offset = 0; offset < documents.length; offset += 100) {
    await index.upsert(
      'cranfield',
      documents.slice(offset, offset + 100).map((document, i) => ({
        id: document.id,
        vector: documentVectors[offset + i] as number[],
        text: document.text,
        payload: { tenantId: 'cranfield' },
      })),
    );
  }
  // Services always filter by tenant; here every document belongs to the one tenant.
  const filter: VectorFilter = { must: [{ key: 'tenantId', equals: 'cranfield' }] };
  // Warm-up runs use the last queries (negative indices wrap), the measured runs every query once.
  const at = (i: number) => (i + queries.length) % queries.length;
  const queryVectors: number[][] = [];
  const embedQueries = await timeEach(queries.length, 10, async (i) => {
    const [vector] = await embedder.embed([queries[at(i)]?.text ?? '']);
    queryVectors[at(i)] = vector as number[];
  });

  const rows: Row[] = [
    latencyRow('word-vector embedder (SIF)', 'embed one query', embedQueries.stats, {
      note: `loaded from ${load?.from ?? '?'} in ${loadMs.toFixed(0)} ms; 1,400 abstracts embedded in ${embedMs.toFixed(0)} ms`,
    }),
  ];
  const subjects = { keyword: 'BM25 keyword', dense: 'dense (word vectors)', hybrid: 'hybrid RRF' } as const;
  const runsOf = new Map<SearchMode, Map<string, string[]>>();
  for (const mode of ['keyword', 'dense', 'hybrid'] as const) {
    const runs = new Map<string, string[]>();
    const { stats } = await timeEach(queries.length, 10, async (i) => {
      const query = { vector: queryVectors[at(i)] as number[], text: queries[at(i)]?.text ?? '' };
      const hits = await search(index, 'cranfield', mode, query, filter);
      if (i >= 0)
        runs.set(
          queries[i]?.id ?? '',
          hits.map((hit) => hit.id),
        );
    });
    runsOf.set(mode, runs);
    const versusKeyword = mode === 'keyword' ? undefined : headToHead(runs, runsOf.get('keyword'), judgements);
    rows.push(
      latencyRow(`embedded: ${subjects[mode]}`, `${mode} search`, stats, {
        'nDCG@10': meanNdcgAtK(runs, judgements, 10),
        ...(versusKeyword ? { note: `per query vs keyword: ${versusKeyword}` } : {}),
      }),
    );
  }

  // The exact dense ranking: whether the index loses anything against a scan of the same vectors.
  const matrix = new Float32Array(documentVectors.flat());
  const exactRuns = new Map<string, string[]>();
  const exact = await timeEach(queries.length, 10, (i) => {
    const top = bruteForceTopK(matrix, embedder.dimensions, queryVectors[at(i)] as number[], 10, () => true);
    if (i >= 0)
      exactRuns.set(
        queries[i]?.id ?? '',
        top.map((row) => documents[row]?.id ?? ''),
      );
  });
  rows.push(
    latencyRow('baseline: brute-force dense', 'dense search', exact.stats, {
      'nDCG@10': meanNdcgAtK(exactRuns, judgements, 10),
    }),
  );
  await index.close();
  report.tables.push(
    { title, rows },
    {
      title: 'Cranfield: memory (after a full GC)',
      rows: [memoryRow('word vectors + Cranfield index', 'after the queries', before, memorySnapshot())],
    },
  );
}

/** On how many judged queries a run's nDCG@10 beats, ties or trails the keyword run's. */
function headToHead(
  runs: ReadonlyMap<string, string[]>,
  keyword: ReadonlyMap<string, string[]> | undefined,
  judgements: ReadonlyMap<string, ReadonlyMap<string, number>>,
): string {
  let better = 0;
  let worse = 0;
  let judged = 0;
  for (const [query, gains] of judgements) {
    if (![...gains.values()].some((gain) => gain > 0)) continue;
    judged++;
    const difference = ndcgAtK(runs.get(query) ?? [], gains, 10) - ndcgAtK(keyword?.get(query) ?? [], gains, 10);
    if (difference > 1e-9) better++;
    else if (difference < -1e-9) worse++;
  }
  return `better on ${better}, worse on ${worse}, equal on ${judged - better - worse} queries`;
}
