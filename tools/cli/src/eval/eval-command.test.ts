/**
 * `keel eval run` in process: rows from a local file and from a real evaluation service (embedded
 * adapters) whose scorer scores every answer, questions through a fake gateway that speaks the
 * gateway's wire format (rate limits, outages, garbage, policy blocks), the files a run writes,
 * and the regression gate's exit codes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEvaluationConfig, startEvaluationService } from '@keel/evaluation';
import { composeEvaluation } from '@keel/evaluation/compose';
import { createLogger, type RunningService } from '@keel/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandIo } from '../command-io.js';
import { evalCommand } from './eval-command.js';
import { type FakeGateway, startFakeGateway } from './fake-gateway.fixture.js';

const KEY = 'eval-cli-key';
let root: string;
let evaluation: RunningService;
let closeEvaluation: () => Promise<void>;
let gateway: FakeGateway;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'keel-eval-'));
  const config = loadEvaluationConfig({
    HTTP_PORT: '0',
    KEEL_DATA_DIR: join(root, 'data'),
    KEEL_API_KEYS: `${KEY}=acme::ci`,
  });
  const logger = createLogger('evaluation', { level: 'silent' });
  const composed = await composeEvaluation(config, logger);
  evaluation = await startEvaluationService(composed, config);
  closeEvaluation = async () => {
    await evaluation.stop();
    await composed.close();
  };
  gateway = await startFakeGateway({ apiKey: KEY });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await closeEvaluation?.();
  rmSync(root, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function keel(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: {
      KEEL_API_KEY: KEY,
      KEEL_GATEWAY_URL: gateway.url,
      KEEL_EVALUATION_URL: evaluation.urls.http as string,
      ...env,
    },
    cwd: root,
  };
  return { code: await evalCommand(args, io, { backoff: { baseDelayMs: 1, maxDelayMs: 5 } }), out, err };
}

const jsonl = (...rows: object[]) => `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`;

const ROWS = [
  {
    id: 'returns',
    question: 'How long can I return a robot?',
    reference_answer: 'Customers can return a robot within 30 days of delivery.',
    relevant_document_ids: ['returns'],
    tags: ['returns'],
  },
  {
    id: 'warranty',
    question: 'What is the battery warranty?',
    reference_answer: 'Two years.',
    relevant_document_ids: ['warranty', 'batteries'],
    tags: ['warranty'],
  },
  { id: 'limited', question: 'rate-limited: how long can I return it?', tags: ['returns'] },
  { id: 'down', question: 'unavailable: anything', tags: ['errors'] },
  { id: 'html', question: 'garbage please', tags: ['errors'] },
  { id: 'blocked', question: 'blocked topic', tags: ['errors'] },
  { id: 'invented', question: 'invent a return policy', relevant_document_ids: ['warranty'], tags: ['returns'] },
];

function file(name: string, text: string): string {
  const path = join(root, name);
  writeFileSync(path, text);
  return path;
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const readLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));

describe('keel eval run', () => {
  it('runs a local file: every row answered or its error recorded, scored, summarised and reported', async () => {
    file('golden.jsonl', jsonl(...ROWS));
    const run = await keel(['run', 'golden.jsonl', '--out', 'run-1', '--concurrency', '3', '--no-progress']);
    expect(run.err.join('\n')).not.toMatch(/Error/);
    expect(run.code).toBe(0);
    expect(run.out.join('\n')).toMatch(/7 rows, 4 answered, 4 scored, 3 errors/);
    expect(run.out.at(-1)).toBe('gate: passed');

    const results = readLines(join(root, 'run-1', 'results.jsonl'));
    const byId = Object.fromEntries(results.map((row) => [row.id, row]));
    expect(Object.keys(byId).sort()).toEqual(ROWS.map((row) => row.id).sort());
    expect(byId.returns).toMatchObject({
      status: 'ok',
      index: 1,
      attempts: 1,
      cost: { amount: 0.000125, currency: 'USD' },
    });
    expect(byId.returns.metrics).toMatchObject({
      groundedness: 1,
      citation_coverage: 1,
      retrieval_hit_rate: 1,
      recall_at_k: 1,
    });
    expect(byId.returns.metrics.reference_overlap).toBeGreaterThan(0.7);
    expect(byId.warranty.metrics).toMatchObject({ retrieval_hit_rate: 1, recall_at_k: 0.5 });
    expect(byId.limited).toMatchObject({ status: 'ok', attempts: 2 });
    expect(byId.down).toMatchObject({
      status: 'error',
      error: { stage: 'answer', status: 503, code: 'DEPENDENCY.UNAVAILABLE' },
    });
    expect(byId.down.error.detail).toMatch(/after 6 attempts/);
    expect(byId.html).toMatchObject({ status: 'error', error: { code: 'GATEWAY.BAD_RESPONSE' } });
    expect(byId.blocked).toMatchObject({ status: 'error', error: { status: 422, code: 'POLICY.BLOCKED' } });
    // The real scorer: an invented answer is not supported by the passage it cites.
    expect(byId.invented.metrics.groundedness).toBeLessThan(0.5);
    expect(byId.invented.metrics).toMatchObject({ retrieval_hit_rate: 0, recall_at_k: 0 });

    const summary = readJson(join(root, 'run-1', 'summary.json'));
    expect(summary).toMatchObject({
      format: 'keel.eval.summary/1',
      dataset: { source: 'file', id: 'golden', version: null },
      gateway: gateway.url,
      concurrency: 3,
      rows: {
        total: 7,
        answered: 4,
        scored: 4,
        errors: 3,
        errorsByCode: { 'DEPENDENCY.UNAVAILABLE': 1, 'GATEWAY.BAD_RESPONSE': 1, 'POLICY.BLOCKED': 1 },
      },
      currency: 'USD',
      gate: { passed: true },
    });
    expect(summary.error_rate).toBeCloseTo(3 / 7, 5);
    expect(summary.metrics.groundedness.count).toBe(4);
    expect(summary.metrics.recall_at_k).toMatchObject({ count: 3, mean: 0.5 });
    expect(summary.metrics.latency_ms.p95).toBeGreaterThan(0);
    expect(summary.tags.errors).toMatchObject({ rows: 3, errors: 3 });
    expect(summary.tags.returns.rows).toBe(3);
    expect(Date.parse(summary.startedAt)).toBeLessThanOrEqual(Date.parse(summary.finishedAt));

    const html = readFileSync(join(root, 'run-1', 'report.html'), 'utf8');
    expect(html).toContain('data-plot="histogram" data-metric="groundedness"');
    expect(html).toContain('data-plot="tags"');
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);
  });

  it('gates: thresholds and a baseline fail with a clear list and exit 1', async () => {
    const good = jsonl(ROWS[0] as object, ROWS[1] as object);
    file('good.jsonl', good);
    const base = await keel([
      'run',
      'good.jsonl',
      '--out',
      'base',
      '--threshold',
      'groundedness=0.9',
      '--threshold',
      'latency_ms.p95=60000',
    ]);
    expect(base.code).toBe(0);
    expect(base.out.at(-1)).toBe('gate: passed (2 checks)');

    file('worse.jsonl', jsonl(ROWS[0] as object, ROWS[6] as object));
    const worse = await keel([
      'run',
      'worse.jsonl',
      '--out',
      'worse',
      '--baseline',
      'base/summary.json',
      '--threshold',
      'reference_overlap=0.99',
    ]);
    expect(worse.code).toBe(1);
    const text = worse.out.join('\n');
    expect(text).toContain('gate: FAILED');
    expect(text).toMatch(/- reference_overlap = [\d.]+ is below its threshold 0.99/);
    expect(text).toMatch(/- groundedness = [\d.]+ is below the baseline's 1 by [\d.]+ \(tolerance 0.02\)/);
    const html = readFileSync(join(root, 'worse', 'report.html'), 'utf8');
    expect(html).toContain('data-plot="comparison"');
    expect(readJson(join(root, 'worse', 'summary.json')).gate.passed).toBe(false);

    // Within the tolerance: passes.
    const same = await keel([
      'run',
      'good.jsonl',
      '--out',
      'same',
      '--baseline',
      'base/summary.json',
      '--tolerance',
      '0.05',
    ]);
    expect(same.code).toBe(0);
    // A threshold on a metric nothing measured fails rather than passing silently.
    file('plain.jsonl', jsonl({ question: 'How long can I return a robot?' }));
    const unmeasured = await keel(['run', 'plain.jsonl', '--out', 'plain', '--threshold', 'recall_at_k=0.5']);
    expect(unmeasured.code).toBe(1);
    expect(unmeasured.out.join('\n')).toContain('recall_at_k: no values measured');
  });

  it('records the run in the evaluation service with --record', async () => {
    const run = await keel(['run', 'good.jsonl', '--out', 'recorded', '--record', '--threshold', 'groundedness=0.5']);
    expect(run.code).toBe(0);
    const id = /recorded as run ([0-9a-f-]+)/.exec(run.out.join('\n'))?.[1];
    expect(id).toBeDefined();
    const headers = { authorization: `Bearer ${KEY}` };
    const list = (await (await fetch(`${evaluation.urls.http}/v1/runs?datasetId=good`, { headers })).json()) as {
      items: {
        id: string;
        passed: boolean;
        createdBy: string;
        rows: { total: number };
        means: Record<string, number>;
      }[];
    };
    expect(list.items[0]).toMatchObject({
      id,
      passed: true,
      createdBy: 'ci',
      rows: { total: 2 },
      means: { groundedness: 1 },
    });
    const one = await fetch(`${evaluation.urls.http}/v1/runs/${id}`, { headers });
    expect(((await one.json()) as { summary: unknown }).summary).toEqual(
      readJson(join(root, 'recorded', 'summary.json')),
    );
    const other = await fetch(`${evaluation.urls.http}/v1/runs`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'keel.eval.summary/1', rows: 'many' }),
    });
    expect(other.status).toBe(400);
    expect(((await other.json()) as { detail: string }).detail).toContain('rows');
  });

  it('fails a run where no row was answered', async () => {
    file('down.jsonl', jsonl({ question: 'unavailable 1' }, { question: 'unavailable 2' }));
    const run = await keel(['run', 'down.jsonl', '--out', 'down', '--retries', '1']);
    expect(run.code).toBe(1);
    expect(run.out.join('\n')).toContain('no row was answered');
  });

  it('runs a data set version of the evaluation service, filtered by tag', async () => {
    const upload = await fetch(`${evaluation.urls.http}/v1/datasets/smoke/versions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' },
      body: jsonl(...ROWS),
    });
    expect(upload.status).toBe(201);
    const run = await keel([
      'run',
      'smoke',
      '--version',
      '1',
      '--tag',
      'warranty',
      '--tag',
      'returns',
      '--out',
      'smoke',
    ]);
    expect(run.code).toBe(0);
    const summary = readJson(join(root, 'smoke', 'summary.json'));
    expect(summary).toMatchObject({
      dataset: { source: 'service', id: 'smoke', version: 1 },
      tagFilter: ['warranty', 'returns'],
      rows: { total: 4 },
    });
    expect(Object.keys(summary.tags).sort()).toEqual(['returns', 'warranty']);
  });

  it('exits 1 when the rows stop half-way', async () => {
    const run = await keel(['run', 'cut', '--evaluation', gateway.url, '--out', 'cut']);
    expect(run.code).toBe(1);
    expect(run.err.join('\n')).toContain('the run stopped');
  });

  it('exits 2 for usage and setup errors', async () => {
    file('bad.jsonl', `${JSON.stringify({ question: 'fine' })}\n{"question": 1}\n`);
    const bad = await keel(['run', 'bad.jsonl', '--out', 'bad']);
    expect(bad.code).toBe(2);
    expect(bad.err.join('\n')).toContain('line 2: question: must be a non-empty string');
    expect(readLinesSafe(join(root, 'bad', 'results.jsonl'))).toEqual([]);

    expect((await keel(['run'])).code).toBe(2);
    expect((await keel(['walk', 'x'])).code).toBe(2);
    expect((await keel(['run', 'good.jsonl', '--threshold', 'nonsense'])).code).toBe(2);
    expect((await keel(['run', 'good.jsonl', '--threshold', 'speed=1'])).code).toBe(2);
    expect((await keel(['run', 'good.jsonl', '--concurrency', '0'])).code).toBe(2);
    expect((await keel(['run', 'good.jsonl', '--baseline', 'good.jsonl'])).code).toBe(2);
    expect((await keel(['run', 'missing.jsonl'])).code).toBe(2);
    const unknown = await keel(['run', 'no-such-dataset']);
    expect(unknown.code).toBe(2);
    expect(unknown.err.join('\n')).toContain('data set "no-such-dataset" version latest not found');
    const noKey = await keel(['run', 'good.jsonl'], { KEEL_API_KEY: '' });
    expect(noKey.code).toBe(2);
    const refused = await keel(['run', 'good.jsonl', '--api-key', 'wrong', '--out', 'refused']);
    expect(refused.code).toBe(2);
    expect(refused.err.join('\n')).toContain('refused the API key');
    expect((await keel(['run', 'good.jsonl', '--tag', 'nothing-has-it', '--out', 'none'])).code).toBe(2);
  });
});

function readLinesSafe(path: string): unknown[] {
  try {
    return readLines(path);
  } catch {
    return [];
  }
}
