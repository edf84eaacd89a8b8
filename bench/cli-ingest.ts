/**
 * CLI bulk load rate: `keel ingest <folder>` (tools/cli, run in this process through its `main`, as
 * its tests do) over a folder of N generated 1-2 KB Markdown and text files (MEDLINE and Cranfield
 * abstracts, the documents of ingestion-throughput), against an ingestion service composed as
 * under `npm start` (embedded bus, SQLite store, embedded index, word-vector embedder) with the
 * real policy service answering Scan over gRPC. Then a second run over the same, unchanged folder
 * with the same state file: what resuming costs.
 *
 * "Accepted" is the time of the last 202 to a document POST; "indexed" the time until the command
 * returns its summary (every job followed to its end). The same documents published as events
 * (ingestion-throughput) are the baseline without HTTP and without the CLI's per-input polling.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { main as keel } from '@keel/cli';
import { loadIngestionConfig, startIngestionService } from '@keel/ingestion';
import { composeIngestion } from '@keel/ingestion/compose';
import { createLogger } from '@keel/platform';
import { type Benchmark, type BenchmarkReport, integerSetting, memorySnapshot, type Row } from './harness.js';
import { benchmarkDocuments, internalToken, startPolicy } from './ingestion-throughput.js';

/** What the command reads and writes besides files (tools/cli's CommandIo). */
type CommandIo = NonNullable<Parameters<typeof keel>[1]>;

const settings = {
  files: integerSetting('BENCH_CLI_FILES', 1_000),
  timeoutMs: integerSetting('BENCH_CLI_TIMEOUT_MS', 600_000),
};
/** The CLI's default (8) and its maximum (64). */
const concurrencies = (process.env.BENCH_CLI_CONCURRENCY ?? '8,64').split(',').map(Number);

/** Half Markdown (a heading, then the abstract), half plain text, in nested folders of 100. */
function writeFolder(root: string, count: number): string {
  const folder = join(root, 'docs');
  benchmarkDocuments(count).forEach((text, index) => {
    const directory = join(folder, `part-${Math.floor(index / 100)}`);
    mkdirSync(directory, { recursive: true });
    if (index % 2 === 0) writeFileSync(join(directory, `abstract-${index}.md`), `# Abstract ${index}\n\n${text}\n`);
    else writeFileSync(join(directory, `abstract-${index}.txt`), `${text}\n`);
  });
  return folder;
}

interface CliRun {
  code: number;
  seconds: number;
  /** Seconds until the last document POST was answered 202 (undefined: none was sent). */
  acceptedSeconds: number | undefined;
  posts: number;
  polls: number;
  summary: string;
}

/** Runs `keel ingest`, timing the POSTs it sends through the fetch it shares with this process. */
async function runCli(args: string[], cwd: string, url: string): Promise<CliRun> {
  const out: string[] = [];
  const io: CommandIo = {
    out: (line) => out.push(line),
    err: (line) => out.push(line),
    env: { KEEL_INGEST_URL: url, KEEL_API_KEY: 'bench-key' },
    cwd,
  };
  const realFetch = globalThis.fetch;
  let posts = 0;
  let polls = 0;
  let lastAccepted: number | undefined;
  const started = performance.now();
  globalThis.fetch = async (input, init) => {
    const response = await realFetch(input, init);
    if (init?.method === 'POST') {
      posts += 1;
      if (response.status === 202) lastAccepted = performance.now();
    } else polls += 1;
    return response;
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const code = await Promise.race([
      keel(args, io),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('keel ingest did not finish in time')), settings.timeoutMs);
      }),
    ]);
    const seconds = (performance.now() - started) / 1000;
    return {
      code,
      seconds,
      acceptedSeconds: lastAccepted === undefined ? undefined : (lastAccepted - started) / 1000,
      posts,
      polls,
      summary: out.find((line) => line.startsWith('done in')) ?? out.slice(-3).join(' | '),
    };
  } finally {
    clearTimeout(timer);
    globalThis.fetch = realFetch;
  }
}

function runRow(concurrency: number, run: string, files: number, figures: CliRun): Row {
  return {
    concurrency,
    run,
    files,
    exit: figures.code,
    POSTs: figures.posts,
    'job polls': figures.polls,
    'accepted s': figures.acceptedSeconds,
    'accepted files/s': figures.acceptedSeconds === undefined ? undefined : figures.posts / figures.acceptedSeconds,
    seconds: figures.seconds,
    'files/s to summary': files / figures.seconds,
    'rss MB': memorySnapshot().rssMb,
    summary: figures.summary,
  };
}

export const cliIngestBenchmark: Benchmark = {
  name: 'cli-ingest',
  description: '`keel ingest <folder>` of 1-2 KB Markdown/text files: files/s accepted and indexed, then a resume run',
  async run(): Promise<BenchmarkReport> {
    const notes: string[] = [];
    const rows: Row[] = [];
    const root = mkdtempSync(join(tmpdir(), 'keel-bench-cli-'));
    const policy = await startPolicy(notes);
    try {
      const folder = writeFolder(root, settings.files);
      for (const concurrency of concurrencies) {
        // A service and a state file of its own per concurrency: the first run finds nothing indexed.
        const dataDir = join(root, `data-${concurrency}`);
        const config = loadIngestionConfig({
          HTTP_PORT: '0',
          KEEL_DATA_DIR: dataDir,
          KEEL_API_KEYS: 'bench-key=bench',
          KEEL_INTERNAL_TOKEN: internalToken,
          POLICY_ADDRESS: policy.address,
        });
        const composed = await composeIngestion(config, createLogger('ingestion', { level: 'warn' }));
        const service = await startIngestionService(composed, config);
        try {
          const url = String(service.urls.http);
          const args = [
            'ingest',
            relative(root, folder),
            '--state',
            join(dataDir, 'ingest-state.json'),
            '--concurrency',
            String(concurrency),
            '--no-progress',
          ];
          const first = await runCli(args, root, url);
          rows.push(runRow(concurrency, 'first (all new)', settings.files, first));
          const again = await runCli(args, root, url);
          rows.push(runRow(concurrency, 'again (all unchanged)', settings.files, again));
          if (first.code !== 0 || again.code !== 0) notes.push(`concurrency ${concurrency}: a run exited non-zero`);
          // A resume that sends anything again is a regression of the state file, not a slower rate.
          if (again.posts > 0)
            notes.push(`concurrency ${concurrency}: the second run sent ${again.posts} documents again`);
        } finally {
          await service.stop();
          await composed.close();
        }
      }
      return {
        config: { ...settings, concurrencies: concurrencies.join(','), folder: 'docs/part-*/abstract-*.{md,txt}' },
        tables: [{ title: 'keel ingest docs/ (in-process service, policy Scan on)', rows }],
        notes,
      };
    } finally {
      await policy.close();
      rmSync(root, { recursive: true, force: true });
    }
  },
};
