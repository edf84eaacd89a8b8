/**
 * Constant memory: 10 000 rows of a local file, each answered with about 4 KB by a zero-delay fake
 * gateway (which also stands in for the scorer, so the runner alone is measured), run at
 * concurrency 16. Held in memory, the answers alone would be some 80 MB of heap (UTF-16); the
 * runner streams them to results.jsonl, so the heap retained after a full GC stays flat from the
 * first thousand rows to the last.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeGateway, startFakeGateway } from './fake-gateway.fixture.js';
import { fileRows } from './golden-rows.js';
import { runEval } from './run-eval.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ROWS = 10_000;
const ANSWER_PADDING = 4_000;
let root: string;
let gateway: FakeGateway;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'keel-eval-memory-'));
  gateway = await startFakeGateway({ apiKey: 'key', answerPadding: ANSWER_PADDING, scoring: true });
  const lines: string[] = [];
  for (let index = 0; index < ROWS; index++) {
    lines.push(
      JSON.stringify({
        id: `row-${index}`,
        question: `How long can I return robot number ${index}?`,
        reference_answer: 'Within 30 days of delivery.',
        relevant_document_ids: ['returns'],
        tags: [`tag-${index % 7}`],
      }),
    );
  }
  writeFileSync(join(root, 'rows.jsonl'), `${lines.join('\n')}\n`);
});

afterAll(async () => {
  await gateway?.close();
  rmSync(root, { recursive: true, force: true });
});

it('runs 10 000 rows with the retained heap bounded', async () => {
  const samples: { rows: number; heapMb: number }[] = [];
  const sample = (rows: number) => {
    gc();
    samples.push({ rows, heapMb: process.memoryUsage().heapUsed / 1024 / 1024 });
  };
  sample(0);
  let nextSample = 1000;
  const { summary } = await runEval({
    rows: fileRows(join(root, 'rows.jsonl'), []),
    gatewayUrl: gateway.url,
    evaluationUrl: gateway.url,
    apiKey: 'key',
    concurrency: 16,
    // Long-lived, like the CLI's Ctrl-C signal: nothing per request may stay tied to it.
    signal: new AbortController().signal,
    outDir: root,
    metadata: {
      dataset: { source: 'file', id: 'rows', version: null },
      gateway: gateway.url,
      evaluation: gateway.url,
      model: null,
      tagFilter: [],
      concurrency: 16,
      startedAt: new Date().toISOString(),
    },
    onRow: (totals) => {
      // Rows finish concurrently: sample at the first callback past each thousand.
      if (totals.total >= nextSample) {
        sample(nextSample);
        nextSample += 1000;
      }
    },
  });
  expect(summary.rows).toMatchObject({ total: ROWS, scored: ROWS, errors: 0 });
  const results = join(root, 'results.jsonl');
  expect(statSync(results).size).toBeGreaterThan(ROWS * ANSWER_PADDING);
  expect(readFileSync(results, 'utf8').split('\n').filter(Boolean)).toHaveLength(ROWS);

  const first = samples.find((entry) => entry.rows === 1000)?.heapMb ?? 0;
  const last = samples.at(-1)?.heapMb ?? 0;
  const peak = Math.max(...samples.map((entry) => entry.heapMb));
  console.log(
    `heap after GC (MB): start ${samples[0]?.heapMb.toFixed(1)}, 1k rows ${first.toFixed(1)}, 10k rows ${last.toFixed(1)}, peak ${peak.toFixed(1)}`,
  );
  // Growth from 1 000 rows to 10 000: the answers of 9 000 rows would be about 70 MB.
  expect(last - first).toBeLessThan(8);
  expect(peak - (samples[0]?.heapMb ?? 0)).toBeLessThan(24);
}, 600_000);
