/**
 * `keel eval run <dataset|file.jsonl>`: runs a golden data set through the real gateway, scores
 * every answer, writes `results.jsonl`, `summary.json` and `report.html`, and gates on the result
 * (exit 1 when a metric is below its threshold or below the baseline by more than the tolerance).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CommandIo } from '../command-io.js';
import { type BackoffOptions, fetchWithBackoff } from './backoff-fetch.js';
import { startEvalProgress } from './eval-progress.js';
import { checkFile, fileRows, type NumberedRow, RowError, responseRows } from './golden-rows.js';
import { renderReport } from './html-report.js';
import { evaluateGate, parseThreshold, type Threshold } from './regression-gate.js';
import { runEval } from './run-eval.js';
import { METRICS, type RunMetadata, type RunSummary, SUMMARY_FORMAT } from './run-summary.js';

export const DEFAULT_GATEWAY = 'http://127.0.0.1:8080';
export const DEFAULT_EVALUATION = 'http://127.0.0.1:8083';
export const MAX_CONCURRENCY = 256;

const HELP = `usage: keel eval run <dataset | file.jsonl> [options]

Sends every question of a golden data set through the gateway (POST /v1/answers), scores each
answer with the evaluation service's scorer (POST /v1/evaluations:score) and writes to --out:
results.jsonl (one line per row, streamed), summary.json (means, percentiles, per tag, errors)
and report.html (plots). <dataset> is a local JSONL file of rows { "question",
"reference_answer"?, "relevant_document_ids"?, "tags"?, "id"? } when such a file exists, else a
data set id of the evaluation service.

options:
  --version <v>            data set version (default latest)
  --gateway <url>          the gateway (KEEL_GATEWAY_URL, default ${DEFAULT_GATEWAY})
  --evaluation <url>       the evaluation service (KEEL_EVALUATION_URL, default ${DEFAULT_EVALUATION})
  --api-key <key>          API key for both (KEEL_API_KEY)
  --model <m>              the model to answer with (default: the gateway's)
  --concurrency <n>        rows in flight (default 8, at most ${MAX_CONCURRENCY})
  --out <dir>              where the results go (default .keel/eval-runs/<dataset>-<time>)
  --baseline <summary>     a previous run's summary.json to compare with
  --threshold <m=value>    fail when metric m is worse than value (repeatable), e.g.
                           groundedness=0.8, latency_ms.p95=2000, error_rate=0.05
  --tolerance <t>          how far below the baseline a score may fall (default 0.02)
  --tag <t>                only rows with this tag (repeatable)
  --retries <n>            retries of a 429/502/503/504 or network failure per call (default 5)
  --record                 also record the summary in the evaluation service (POST /v1/runs)
  --no-progress            plain progress lines even on a terminal
  -h, --help               this help

metrics: ${Object.keys(METRICS).join(', ')}, error_rate

exit status: 0 when the gate passes, 1 when it fails (or no row could be answered, or the run was
interrupted), 2 for a usage or setup error (bad options, unknown data set, malformed file, refused key).`;

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      version: { type: 'string' },
      gateway: { type: 'string' },
      evaluation: { type: 'string' },
      'api-key': { type: 'string' },
      model: { type: 'string' },
      concurrency: { type: 'string' },
      out: { type: 'string' },
      baseline: { type: 'string' },
      threshold: { type: 'string', multiple: true },
      tolerance: { type: 'string' },
      tag: { type: 'string', multiple: true },
      retries: { type: 'string' },
      record: { type: 'boolean' },
      'no-progress': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

class UsageError extends Error {}

function integer(text: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new UsageError(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

function url(text: string, name: string): string {
  try {
    const parsed = new URL(text);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error();
  } catch {
    throw new UsageError(`${name} must be an http(s) URL, got "${text}"`);
  }
  return text.replace(/\/+$/, '');
}

function readBaseline(path: string): RunSummary {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--baseline ${path}: ${(error as Error).message}`);
  }
  const summary = value as Partial<RunSummary>;
  if (
    summary?.format !== SUMMARY_FORMAT ||
    typeof summary.metrics !== 'object' ||
    typeof summary.error_rate !== 'number'
  ) {
    throw new UsageError(`--baseline ${path}: not a summary.json of keel eval run (format ${SUMMARY_FORMAT})`);
  }
  return summary as RunSummary;
}

const stamp = (date: Date) =>
  date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.partial`, text);
  renameSync(`${path}.partial`, path);
}

/** A run that cannot be recorded is still a run: the failure is reported, the exit status is the gate's. */
async function recordRun(
  io: CommandIo,
  evaluationUrl: string,
  apiKey: string,
  summary: object,
  backoff: BackoffOptions,
): Promise<void> {
  try {
    const { response, text } = await fetchWithBackoff(
      `${evaluationUrl}/v1/runs`,
      () => ({
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(summary),
      }),
      backoff,
    );
    if (response.status !== 201) {
      io.err(`keel eval run: the run was not recorded: HTTP ${response.status} ${text.slice(0, 300)}`);
      return;
    }
    io.out(`  recorded as run ${(JSON.parse(text) as { id: string }).id} (${evaluationUrl}/v1/runs)`);
  } catch (error) {
    io.err(`keel eval run: the run was not recorded: ${(error as Error).message}`);
  }
}

export interface EvalCommandHooks {
  /** Tests shorten the backoff. */
  backoff?: BackoffOptions;
}

export async function evalCommand(args: string[], io: CommandIo, hooks: EvalCommandHooks = {}): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(HELP);
    return sub ? 0 : 2;
  }
  if (sub !== 'run') {
    io.err(`keel eval: unknown subcommand "${sub}"\n\n${HELP}`);
    return 2;
  }
  try {
    return await evalRun(rest, io, hooks);
  } catch (error) {
    if (error instanceof UsageError || error instanceof RowError) {
      io.err(`keel eval run: ${error.message}`);
      return 2;
    }
    // Reading the rows failed mid-run (a connection cut, a disk error): the run is incomplete.
    io.err(`keel eval run: the run stopped: ${(error as Error).message}`);
    return 1;
  }
}

async function evalRun(args: string[], io: CommandIo, hooks: EvalCommandHooks): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${HELP}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one data set id or .jsonl file\n\n${HELP}`);
  const dataset = positionals[0] as string;
  const apiKey = values['api-key'] ?? io.env.KEEL_API_KEY;
  if (!apiKey) throw new UsageError('no API key: set KEEL_API_KEY or pass --api-key');
  const gatewayUrl = url(values.gateway ?? io.env.KEEL_GATEWAY_URL ?? DEFAULT_GATEWAY, '--gateway');
  const evaluationUrl = url(values.evaluation ?? io.env.KEEL_EVALUATION_URL ?? DEFAULT_EVALUATION, '--evaluation');
  const concurrency = integer(values.concurrency, '--concurrency', 8, 1, MAX_CONCURRENCY);
  const retries = integer(values.retries, '--retries', 5, 0, 20);
  const tolerance = values.tolerance === undefined ? 0.02 : Number(values.tolerance);
  if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > 1)
    throw new UsageError('--tolerance must be a number from 0 to 1');
  let thresholds: Threshold[];
  try {
    thresholds = (values.threshold ?? []).map(parseThreshold);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const tags = values.tag ?? [];
  const version = values.version ?? 'latest';
  if (!/^(latest|[1-9][0-9]{0,8})$/.test(version))
    throw new UsageError('--version must be a version number or "latest"');
  const baselinePath = values.baseline ? resolve(io.cwd, values.baseline) : undefined;
  const baseline = baselinePath ? readBaseline(baselinePath) : undefined;
  const backoff: BackoffOptions = { retries, ...hooks.backoff };

  const startedAt = new Date();
  const localPath = resolve(io.cwd, dataset);
  const isFile = existsSync(localPath) && statSync(localPath).isFile();
  if (!isFile && dataset.endsWith('.jsonl')) throw new UsageError(`${dataset}: no such file`);
  const datasetName = isFile ? dataset.replace(/^.*[\\/]/, '').replace(/\.jsonl$/, '') : dataset;
  const outDir = resolve(io.cwd, values.out ?? join('.keel', 'eval-runs', `${datasetName}-${stamp(startedAt)}`));
  mkdirSync(outDir, { recursive: true });

  let rows: AsyncIterable<NumberedRow>;
  let total: number | null;
  let metadataDataset: RunMetadata['dataset'];
  if (isFile) {
    if (values.version) throw new UsageError('--version applies to data sets of the evaluation service, not to a file');
    total = await checkFile(localPath, tags);
    rows = fileRows(localPath, tags);
    metadataDataset = { source: 'file', id: datasetName, version: null, path: localPath };
  } else {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(dataset))
      throw new UsageError(`"${dataset}" is neither a file nor a data set id`);
    const rowsUrl = `${evaluationUrl}/v1/datasets/${encodeURIComponent(dataset)}/versions/${version}/rows`;
    let response: Response;
    try {
      response = await fetch(rowsUrl, {
        headers: { authorization: `Bearer ${apiKey}` },
        ...(io.signal ? { signal: io.signal } : {}),
      });
    } catch (error) {
      throw new UsageError(`cannot reach the evaluation service at ${evaluationUrl}: ${(error as Error).message}`);
    }
    if (response.status !== 200 || !response.body) {
      const text = await response.text().catch(() => '');
      let detail = text.slice(0, 300);
      try {
        detail = (JSON.parse(text) as { detail?: string }).detail ?? detail;
      } catch {}
      const what =
        response.status === 404 ? `data set "${dataset}" version ${version} not found` : `HTTP ${response.status}`;
      throw new UsageError(`${rowsUrl}: ${what}${detail ? ` (${detail})` : ''}`);
    }
    const count = response.headers.get('x-keel-row-count');
    total = count !== null && tags.length === 0 ? Number(count) : null;
    const served = response.headers.get('x-keel-dataset-version') ?? version;
    rows = responseRows(response.body, tags);
    metadataDataset = { source: 'service', id: dataset, version: /^\d+$/.test(served) ? Number(served) : served };
  }

  const metadata: RunMetadata = {
    dataset: metadataDataset,
    gateway: gatewayUrl,
    evaluation: evaluationUrl,
    model: values.model ?? null,
    tagFilter: tags,
    concurrency,
    startedAt: startedAt.toISOString(),
  };
  io.err(
    `keel eval run: ${metadata.dataset.id}${total === null ? '' : `, ${total} rows`}, concurrency ${concurrency} → ${outDir}`,
  );
  const progress = startEvalProgress(io, total, !values['no-progress']);
  let result: Awaited<ReturnType<typeof runEval>>;
  try {
    result = await runEval({
      rows,
      gatewayUrl,
      evaluationUrl,
      apiKey,
      ...(values.model ? { model: values.model } : {}),
      concurrency,
      outDir,
      metadata,
      backoff,
      ...(io.signal ? { signal: io.signal } : {}),
      onRow: (totals) => progress.update(totals),
    });
  } finally {
    progress.stop();
  }
  const { summary } = result;
  const gate = evaluateGate(summary, thresholds, baseline, tolerance);
  const recorded = { ...summary, gate: { ...gate, thresholds, tolerance, baseline: baselinePath ?? null } };
  writeAtomically(join(outDir, 'summary.json'), `${JSON.stringify(recorded, null, 2)}\n`);
  writeAtomically(join(outDir, 'report.html'), renderReport(summary, gate, baseline));

  const seconds = summary.durationMs / 1000;
  const stat = (name: string) => summary.metrics[name];
  io.out(
    `done in ${seconds.toFixed(1)} s (${seconds > 0 ? (summary.rows.total / seconds).toFixed(1) : summary.rows.total} rows/s): ` +
      `${summary.rows.total} rows, ${summary.rows.answered} answered, ${summary.rows.scored} scored, ${summary.rows.errors} errors`,
  );
  const means = ['groundedness', 'citation_coverage', 'reference_overlap', 'retrieval_hit_rate', 'recall_at_k']
    .filter((name) => (stat(name)?.count ?? 0) > 0)
    .map((name) => `${name} ${stat(name)?.mean}`);
  if (means.length > 0) io.out(`  ${means.join(', ')}`);
  if ((stat('latency_ms')?.count ?? 0) > 0) {
    io.out(
      `  latency p50 ${stat('latency_ms')?.p50} ms, p95 ${stat('latency_ms')?.p95} ms${summary.currency ? `; cost mean ${stat('cost')?.mean} ${summary.currency}` : ''}`,
    );
  }
  for (const [code, count] of Object.entries(summary.rows.errorsByCode)) io.out(`  error ${code}: ${count} rows`);
  io.out(
    `  results ${join(outDir, 'results.jsonl')}\n  summary ${join(outDir, 'summary.json')}\n  report  ${join(outDir, 'report.html')}`,
  );

  if (values.record && !result.refused) await recordRun(io, evaluationUrl, apiKey, recorded, backoff);

  if (result.refused) {
    io.err(`keel eval run: ${result.refused}; set KEEL_API_KEY or --api-key`);
    return 2;
  }
  if (summary.interrupted) {
    io.err('keel eval run: interrupted; the summary covers the rows that finished');
    return 1;
  }
  if (summary.rows.total === 0) {
    io.err(`keel eval run: no rows to run${tags.length > 0 ? ` with tag ${tags.join(' or ')}` : ''}`);
    return 2;
  }
  if (summary.rows.answered === 0) {
    io.out('gate: FAILED');
    io.out('  - no row was answered: see the errors above and results.jsonl');
    return 1;
  }
  if (!gate.passed) {
    io.out('gate: FAILED');
    for (const failure of gate.failures) io.out(`  - ${failure}`);
    return 1;
  }
  io.out(`gate: passed${gate.checks.length > 0 ? ` (${gate.checks.length} checks)` : ''}`);
  return 0;
}
