/**
 * Offline evaluation runs: `keel eval run <file.jsonl>` (tools/cli, in this process through its
 * `main`) over 10 000 golden rows built from the Cranfield queries (read in place from
 * ../shared/datasets/cranfield; each query repeated with a variant suffix, its judged documents as
 * `relevant_document_ids`), measured in rows/s and in memory (peak RSS and heap sampled every
 * 100 ms, and the heap retained after a full GC at the end), against a baseline in the same run:
 * the same requests (answer, then score) sent by a plain loop at the same concurrency that keeps
 * nothing and writes nothing.
 *
 * Two targets:
 * - a zero-delay fake gateway (this process) that also answers the scoring call with fixed
 *   scores: the runner alone (HTTP client, retries, metrics, results file, report);
 * - the real platform on embedded defaults (`@keel/local-platform`, all six services in this
 *   process, as under `npm start`), with the Cranfield documents indexed as `cran-<id>`: the
 *   gateway answers every row (policy, retrieval, the built-in model) and evaluation's scorer
 *   scores it, while also scoring the same answers online from the completion events.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main as keel } from '@keel/cli';
import { createLogger } from '@keel/platform';
import { loadCranfield } from '@keel/text/testing';
import {
  type Benchmark,
  type BenchmarkReport,
  integerSetting,
  memorySnapshot,
  type Row,
  skippedRow,
} from './harness.js';

type CommandIo = NonNullable<Parameters<typeof keel>[1]>;

const settings = {
  rows: integerSetting('BENCH_OFFLINE_ROWS', 10_000),
  // The real platform answers a few rows a second on the 2-core machine: 10 000 would take an hour per subject.
  realRows: integerSetting('BENCH_OFFLINE_REAL_ROWS', 2_000),
  concurrency: integerSetting('BENCH_OFFLINE_CONCURRENCY', 16),
  /** Characters of padding in the fake gateway's answers, so that rows weigh something. */
  answerChars: integerSetting('BENCH_OFFLINE_ANSWER_CHARS', 2_000),
};
const targets = (process.env.BENCH_OFFLINE_TARGETS ?? 'fake,real').split(',');
const API_KEY = 'bench-offline-key-0123456789';

interface Collection {
  queries: { id: string; text: string }[];
  judgements: Map<string, Map<string, number>>;
}

function writeRows(path: string, collection: Collection, count: number): void {
  const lines: string[] = [];
  for (let index = 0; index < count; index++) {
    const query = collection.queries[index % collection.queries.length] as { id: string; text: string };
    const variant = Math.floor(index / collection.queries.length);
    const relevant = [...(collection.judgements.get(query.id) ?? new Map())]
      .filter(([, gain]) => gain >= 3)
      .map(([id]) => `cran-${id}`);
    lines.push(
      JSON.stringify({
        id: `q${query.id}-v${variant}`,
        // The suffix keeps every question distinct (no response-cache hits).
        question: variant === 0 ? query.text : `${query.text} (variant ${variant})`,
        ...(relevant.length > 0 ? { relevant_document_ids: relevant } : {}),
        tags: [query.text.length > 100 ? 'long' : 'short'],
      }),
    );
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/** Peak RSS and heap while `work` runs, sampled every 100 ms (garbage included: what the OS sees). */
async function measured<T>(work: () => Promise<T>): Promise<{
  value: T;
  seconds: number;
  peakRssMb: number;
  peakHeapMb: number;
  retainedHeapMb: number;
  before: ReturnType<typeof memorySnapshot>;
}> {
  const before = memorySnapshot();
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  };
  const timer = setInterval(sample, 100);
  const started = performance.now();
  try {
    const value = await work();
    const seconds = (performance.now() - started) / 1000;
    sample();
    const after = memorySnapshot();
    return {
      value,
      seconds,
      peakRssMb: peakRss / 2 ** 20,
      peakHeapMb: peakHeap / 2 ** 20,
      retainedHeapMb: after.heapUsedMb,
      before,
    };
  } finally {
    clearInterval(timer);
  }
}

/** The baseline: each row's question answered and its answer scored, nothing kept, nothing written. */
async function plainLoop(
  rowsPath: string,
  gateway: string,
  evaluation: string,
  concurrency: number,
): Promise<{ rows: number; failures: number }> {
  const questions = readFileSync(rowsPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { question: string }).question);
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
  let next = 0;
  let failures = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < questions.length) {
        const question = questions[next++] as string;
        const answered = await fetch(`${gateway}/v1/answers`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ question }),
        });
        if (answered.status !== 200) {
          failures++;
          await answered.arrayBuffer();
          continue;
        }
        const body = (await answered.json()) as { answer: string; citations: { chunkId: string; quote: string }[] };
        const contexts = body.citations
          .filter((citation) => citation.quote)
          .map((citation) => ({ chunkId: citation.chunkId, text: citation.quote }));
        const scored = await fetch(`${evaluation}/v1/evaluations:score`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ question, answer: body.answer, contexts }),
        });
        if (scored.status !== 200) failures++;
        await scored.arrayBuffer();
      }
    }),
  );
  return { rows: questions.length, failures };
}

async function runCli(rowsPath: string, outDir: string, gateway: string, evaluation: string, concurrency: number) {
  const out: string[] = [];
  const io: CommandIo = {
    out: (line) => out.push(line),
    err: (line) => out.push(line),
    env: { KEEL_API_KEY: API_KEY, KEEL_GATEWAY_URL: gateway, KEEL_EVALUATION_URL: evaluation },
    cwd: outDir,
  };
  const code = await keel(
    ['eval', 'run', rowsPath, '--out', outDir, '--concurrency', String(concurrency), '--no-progress'],
    io,
  );
  const summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as {
    rows: { total: number; errors: number; errorsByCode: Record<string, number> };
    metrics: Record<string, { mean: number | null; p50: number | null; p95: number | null }>;
  };
  return { code, summary, out };
}

async function startZeroDelayGateway(answerChars: number): Promise<{ url: string; close(): Promise<void> }> {
  const padding = ' More.'.repeat(Math.ceil(answerChars / 6));
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server = createServer(async (req, res) => {
    const body = await read(req);
    if (req.url === '/v1/evaluations:score') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"groundedness":1,"citationCoverage":1,"abstained":false,"evaluatorVersion":"fake"}');
      return;
    }
    const { question } = JSON.parse(body) as { question: string };
    const quote = question.slice(0, 200);
    res.writeHead(200, { 'content-type': 'application/json', 'x-keel-cost': '0 USD' });
    res.end(
      JSON.stringify({
        id: 'fake',
        answer: `${quote} [1]${padding}`,
        citations: [{ marker: 1, documentId: 'cran-1', chunkId: 'cran-1#0', quote }],
        model: 'fake',
        usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Indexes the Cranfield documents as `cran-<id>` through the ingestion API, and waits for them. */
async function indexCranfield(
  ingestion: string,
  documents: { id: string; title: string; text: string }[],
): Promise<void> {
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
  const jobs: string[] = [];
  for (let start = 0; start < documents.length; start += 100) {
    const batch = documents.slice(start, start + 100).map((document) => ({
      documentId: `cran-${document.id}`,
      title: document.title || `Cranfield ${document.id}`,
      text: document.text || document.title || `Cranfield ${document.id}`,
      source: `cranfield/${document.id}`,
    }));
    const response = await fetch(`${ingestion}/v1/documents:batch`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ documents: batch }),
    });
    if (response.status >= 300)
      throw new Error(`ingestion refused a batch: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as { results: { jobId?: string }[] };
    for (const result of body.results) if (result.jobId) jobs.push(result.jobId);
  }
  const pending = new Set(jobs);
  const deadline = Date.now() + 900_000;
  while (pending.size > 0) {
    if (Date.now() > deadline) throw new Error(`${pending.size} Cranfield documents not indexed in 15 minutes`);
    for (const jobId of [...pending]) {
      const job = (await (await fetch(`${ingestion}/v1/jobs/${jobId}`, { headers })).json()) as { status: string };
      if (job.status === 'indexed' || job.status === 'rejected') pending.delete(jobId);
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function rowsOf(
  target: string,
  rows: number,
  subject: string,
  result: Awaited<ReturnType<typeof measured>>,
  extra: Row,
): Row {
  return {
    target,
    subject,
    rows,
    seconds: result.seconds,
    'rows/s': rows / result.seconds,
    'peak rss MB': result.peakRssMb,
    'Δ peak rss MB': result.peakRssMb - result.before.rssMb,
    'peak heap MB': result.peakHeapMb,
    'Δ peak heap MB': result.peakHeapMb - result.before.heapUsedMb,
    'retained heap Δ MB': result.retainedHeapMb - result.before.heapUsedMb,
    ...extra,
  };
}

async function compare(
  target: string,
  root: string,
  rowsPath: string,
  rows: number,
  gateway: string,
  evaluation: string,
  table: Row[],
  notes: string[],
) {
  const baseline = await measured(() => plainLoop(rowsPath, gateway, evaluation, settings.concurrency));
  table.push(rowsOf(target, rows, 'plain loop (baseline)', baseline, { errors: baseline.value.failures }));
  const outDir = join(root, `run-${target}`);
  const cli = await measured(() => runCli(rowsPath, outDir, gateway, evaluation, settings.concurrency));
  const summary = cli.value.summary;
  table.push(
    rowsOf(target, rows, 'keel eval run', cli, {
      errors: summary.rows.errors,
      'groundedness mean': summary.metrics.groundedness?.mean ?? undefined,
      'recall@k mean': summary.metrics.recall_at_k?.mean ?? undefined,
      'latency p50 ms': summary.metrics.latency_ms?.p50 ?? undefined,
      'latency p95 ms': summary.metrics.latency_ms?.p95 ?? undefined,
    }),
  );
  if (cli.value.code !== 0)
    notes.push(`${target}: keel eval run exited ${cli.value.code}: ${cli.value.out.slice(-6).join(' | ')}`);
  if (summary.rows.errors > 0) notes.push(`${target}: errors by code ${JSON.stringify(summary.rows.errorsByCode)}`);
}

export const offlineRunBenchmark: Benchmark = {
  name: 'offline-run',
  description: 'keel eval run over 10 000 Cranfield-built rows: rows/s and memory against a plain request loop',
  async run(): Promise<BenchmarkReport> {
    const cranfield = loadCranfield();
    const table: Row[] = [];
    const notes: string[] = [];
    const report: BenchmarkReport = {
      config: { ...settings, targets: targets.join(',') },
      tables: [{ title: 'Offline run (concurrency per config)', rows: table }],
      notes,
    };
    if (!cranfield.available) {
      table.push(skippedRow('offline-run', cranfield.reason));
      notes.push(`skipped: ${cranfield.reason}`);
      return report;
    }
    const root = mkdtempSync(join(tmpdir(), 'keel-bench-offline-'));
    try {
      if (targets.includes('fake')) {
        const rowsPath = join(root, 'fake-rows.jsonl');
        writeRows(rowsPath, cranfield.collection, settings.rows);
        const gateway = await startZeroDelayGateway(settings.answerChars);
        try {
          await compare(
            'zero-delay fake gateway + fake scorer',
            root,
            rowsPath,
            settings.rows,
            gateway.url,
            gateway.url,
            table,
            notes,
          );
        } finally {
          await gateway.close();
        }
      }
      if (targets.includes('real')) {
        const rowsPath = join(root, 'real-rows.jsonl');
        writeRows(rowsPath, cranfield.collection, settings.realRows);
        // Loaded only for this target: the fake one runs without the six services.
        const { freePorts, startLocalPlatform } = await import('@keel/local-platform');
        const platform = await startLocalPlatform({
          dataDir: join(root, 'platform'),
          ports: freePorts,
          env: {
            KEEL_API_KEYS: `${API_KEY}=bench`,
            OTEL_TRACES_EXPORTER: 'none',
            OTEL_METRICS_EXPORTER: 'none',
            OTEL_LOGS_EXPORTER: 'none',
          },
          logger: createLogger('offline-run', { level: 'warn' }),
          serviceLogger: (service) => createLogger(service, { level: 'error' }),
        });
        try {
          const indexing = performance.now();
          await indexCranfield(platform.urls.ingestion ?? '', cranfield.collection.documents);
          notes.push(
            `real: ${cranfield.collection.documents.length} Cranfield documents indexed in ${((performance.now() - indexing) / 1000).toFixed(1)} s before the runs`,
          );
          await compare(
            'real platform (embedded, one process)',
            root,
            rowsPath,
            settings.realRows,
            platform.urls.gateway ?? '',
            platform.urls.evaluation ?? '',
            table,
            notes,
          );
        } finally {
          await platform.stop();
        }
      }
      return report;
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
};
