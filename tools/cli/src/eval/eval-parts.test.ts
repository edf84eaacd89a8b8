/** The run's parts on their own: backoff, distributions, per-row metrics, the gate, the report. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, fetchWithBackoff, KeyRefused, RetriesExhausted, retryAfterMs } from './backoff-fetch.js';
import { Distribution } from './distribution.js';
import { startFakeGateway } from './fake-gateway.fixture.js';
import { histogramSvg, renderReport } from './html-report.js';
import { evaluateGate, parseThreshold } from './regression-gate.js';
import { retrievalMetrics, tokenF1 } from './row-metrics.js';
import { parseCost, runEval } from './run-eval.js';
import { RunTotals } from './run-summary.js';

async function server(statuses: { status: number; headers?: Record<string, string> }[]) {
  let calls = 0;
  const http = createServer((_req, res) => {
    const next = statuses[Math.min(calls, statuses.length - 1)] as { status: number; headers?: Record<string, string> };
    calls++;
    res.writeHead(next.status, next.headers ?? {});
    res.end(`{"n":${calls}}`);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    calls: () => calls,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

describe('fetchWithBackoff', () => {
  it('waits at least what retry-after asks, backs off exponentially with jitter otherwise', async () => {
    const fake = await server([
      { status: 429, headers: { 'retry-after': '2' } },
      { status: 503 },
      { status: 429, headers: { 'retry-after-ms': '700' } },
      { status: 200 },
    ]);
    const waits: number[] = [];
    const result = await fetchWithBackoff(fake.url, () => ({ method: 'GET' }), {
      random: () => 0.5,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    await fake.close();
    expect(result.response.status).toBe(200);
    expect(result.attempts).toBe(4);
    expect(result.text).toBe('{"n":4}');
    // 2 s floor (+ a tenth of the jitter), 0.5 × 250 × 2¹, 700 ms floor (+ a tenth of 0.5 × 250 × 2²).
    expect(waits).toEqual([2012.5, 250, 750]);
  });

  it('returns other statuses at once, gives up after the retries, and stops on 401', async () => {
    const notFound = await server([{ status: 404 }]);
    expect((await fetchWithBackoff(notFound.url, () => ({}), { sleep: async () => {} })).response.status).toBe(404);
    expect(notFound.calls()).toBe(1);
    await notFound.close();

    const down = await server([{ status: 502 }]);
    const error = await fetchWithBackoff(down.url, () => ({}), { retries: 2, sleep: async () => {} }).catch(
      (caught) => caught,
    );
    expect(error).toBeInstanceOf(RetriesExhausted);
    expect(error).toMatchObject({ status: 502, attempts: 3 });
    expect(down.calls()).toBe(3);
    await down.close();

    const refused = await server([{ status: 401 }]);
    await expect(fetchWithBackoff(refused.url, () => ({}), { sleep: async () => {} })).rejects.toBeInstanceOf(
      KeyRefused,
    );
    await refused.close();

    const unreachable = await fetchWithBackoff('http://127.0.0.1:9', () => ({}), {
      retries: 1,
      sleep: async () => {},
    }).catch((caught) => caught);
    expect(unreachable).toMatchObject({ status: null, attempts: 2 });
  });

  it('reads retry-after as seconds, a date or milliseconds, and caps the wait', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '15' }))).toBe(15);
    expect(retryAfterMs(new Headers({ 'retry-after': new Date(Date.now() + 60_000).toUTCString() }))).toBeGreaterThan(
      55_000,
    );
    expect(retryAfterMs(new Headers())).toBeUndefined();
    expect(backoffDelayMs(10, undefined, {}, () => 1)).toBe(30_000);
    expect(backoffDelayMs(0, 120_000, {}, () => 0)).toBe(30_000);
  });
});

describe('Distribution', () => {
  it('gives percentiles of scores to 0.001 and of latencies within 2 %', () => {
    const scores = new Distribution('unit');
    const latencies = new Distribution('log');
    for (let index = 1; index <= 1000; index++) {
      scores.add(index / 1000);
      latencies.add(index);
    }
    const unit = scores.stats();
    expect(unit).toMatchObject({ count: 1000, min: 0.001, max: 1 });
    expect(unit.mean).toBeCloseTo(0.5005, 6);
    expect(Math.abs((unit.p50 ?? 0) - 0.5)).toBeLessThanOrEqual(0.001);
    expect(Math.abs((unit.p99 ?? 0) - 0.99)).toBeLessThanOrEqual(0.001);
    const log = latencies.stats();
    expect(Math.abs((log.p50 ?? 0) / 500 - 1)).toBeLessThan(0.02);
    expect(Math.abs((log.p95 ?? 0) / 950 - 1)).toBeLessThan(0.02);
    // Bins are [low, high): 0.1 opens the second bin, and 1 joins the last.
    expect(scores.histogram(10).counts).toEqual([99, 100, 100, 100, 100, 100, 100, 100, 100, 101]);
    expect(latencies.histogram(5).counts.reduce((a, b) => a + b, 0)).toBe(1000);
  });

  it('counts zero costs and reports nothing for an empty metric', () => {
    const costs = new Distribution('log');
    costs.add(0);
    costs.add(0);
    costs.add(0.5);
    expect(costs.stats()).toMatchObject({ count: 3, p50: 0, max: 0.5 });
    expect(new Distribution('unit').stats()).toMatchObject({ count: 0, mean: null, p50: null });
  });
});

describe('row metrics', () => {
  it('scores reference overlap as token F1, ignoring case, punctuation, articles and markers', () => {
    expect(tokenF1('The warranty lasts two years. [1]', 'warranty lasts two years')).toBe(1);
    expect(tokenF1('Two years.', 'The warranty lasts two years')).toBeCloseTo((2 * 1 * 0.5) / 1.5, 6);
    expect(tokenF1('Ninety days', 'two years')).toBe(0);
    expect(tokenF1('', '')).toBe(1);
  });

  it('measures retrieval against the relevant documents, and nothing without them', () => {
    expect(retrievalMetrics(['a', 'b', 'a'], ['a', 'c'])).toEqual({ retrieval_hit: 1, recall_at_k: 0.5 });
    expect(retrievalMetrics(['b'], ['a'])).toEqual({ retrieval_hit: 0, recall_at_k: 0 });
    expect(retrievalMetrics(['a'], [])).toBeUndefined();
  });

  it('reads x-keel-cost', () => {
    expect(parseCost('0.000123 USD')).toEqual({ amount: 0.000123, currency: 'USD' });
    expect(parseCost('0 EUR')).toEqual({ amount: 0, currency: 'EUR' });
    expect(parseCost('free')).toBeUndefined();
    expect(parseCost(null)).toBeUndefined();
  });
});

describe('the regression gate', () => {
  const summaryOf = (groundedness: number, latencyP95: number, errorRate: number) => {
    const totals = new RunTotals();
    totals.add({ tags: [], ok: true, metrics: { groundedness, latency_ms: latencyP95 } });
    return {
      ...totals.summarize(
        {
          dataset: { source: 'file', id: 'x', version: null },
          gateway: '',
          evaluation: '',
          model: null,
          tagFilter: [],
          concurrency: 1,
          startedAt: new Date().toISOString(),
        },
        new Date(),
        false,
      ),
      error_rate: errorRate,
    };
  };

  it('checks thresholds in the direction of each metric', () => {
    const run = summaryOf(0.8, 1000, 0.1);
    expect(evaluateGate(run, [parseThreshold('groundedness=0.8'), parseThreshold('latency_ms.p95=1100')]).passed).toBe(
      true,
    );
    const failed = evaluateGate(run, [
      parseThreshold('groundedness=0.81'),
      parseThreshold('latency_ms.p95=900'),
      parseThreshold('error_rate=0.05'),
    ]);
    expect(failed.failures).toEqual([
      'groundedness = 0.8 is below its threshold 0.81',
      expect.stringMatching(/^latency_ms.p95 = [\d.]+ is above its threshold 900$/),
      'error_rate = 0.1 is above its threshold 0.05',
    ]);
  });

  it('compares scores and the error rate with the baseline within the tolerance', () => {
    const baseline = summaryOf(0.9, 10, 0.1);
    expect(evaluateGate(summaryOf(0.885, 5000, 0.11), [], baseline, 0.02).passed).toBe(true);
    expect(evaluateGate(summaryOf(0.87, 10, 0.1), [], baseline, 0.02).failures).toEqual([
      "groundedness = 0.87 is below the baseline's 0.9 by 0.03 (tolerance 0.02)",
    ]);
    expect(evaluateGate(summaryOf(0.9, 10, 0.2), [], baseline, 0.02).failures).toEqual([
      "error_rate = 0.2 is above the baseline's 0.1 by 0.1 (tolerance 0.02)",
    ]);
  });

  it('refuses thresholds it cannot check', () => {
    expect(() => parseThreshold('groundedness')).toThrow(/metric=value/);
    expect(() => parseThreshold('speed=1')).toThrow(/unknown metric "speed"/);
    expect(() => parseThreshold('groundedness.p42=1')).toThrow(/unknown statistic/);
  });
});

describe('the HTML report', () => {
  it('draws histograms, tag bars and the comparison as inline SVG, escaping what it shows', () => {
    const totals = new RunTotals();
    totals.add({ tags: ['<script>alert(1)</script>'], ok: true, metrics: { groundedness: 0.25, latency_ms: 40 } });
    totals.add({ tags: ['b'], ok: false, errorCode: 'POLICY.BLOCKED', stage: 'answer', metrics: {} });
    const summary = totals.summarize(
      {
        dataset: { source: 'service', id: 'set', version: 3 },
        gateway: 'http://gw',
        evaluation: 'http://ev',
        model: null,
        tagFilter: [],
        concurrency: 1,
        startedAt: new Date().toISOString(),
      },
      new Date(),
      false,
    );
    const html = renderReport(summary, { passed: false, failures: ['groundedness <low>'], checks: [] }, summary);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('groundedness &lt;low&gt;');
    expect(html).toMatch(/data-plot="histogram" data-metric="groundedness"/);
    expect(html).toContain('data-plot="tags"');
    expect(html).toContain('data-plot="comparison"');
    expect(html).not.toMatch(/<link|<script|src=/);
    const svg = histogramSvg('groundedness', summary.histograms.groundedness as never);
    expect((svg.match(/<rect class="bar"/g) ?? []).length).toBe(20);
  });
});

describe('runEval', () => {
  it("keeps the scorer's other metrics it knows, in [0, 1], and nothing else", async () => {
    const gateway = await startFakeGateway({ apiKey: 'key', scoring: true });
    const outDir = mkdtempSync(join(tmpdir(), 'keel-eval-parts-'));
    try {
      async function* rows() {
        yield { index: 1, row: { id: 'a', question: 'How long can I return a robot?', tags: ['t'] } };
      }
      const { summary } = await runEval({
        rows: rows(),
        gatewayUrl: gateway.url,
        evaluationUrl: gateway.url,
        apiKey: 'key',
        concurrency: 2,
        outDir,
        metadata: {
          dataset: { source: 'file', id: 'x', version: null },
          gateway: gateway.url,
          evaluation: gateway.url,
          model: null,
          tagFilter: [],
          concurrency: 2,
          startedAt: new Date().toISOString(),
        },
      });
      const [result] = readFileSync(join(outDir, 'results.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(result.metrics).toMatchObject({ groundedness: 1, citation_coverage: 1, citation_validity: 0.5 });
      expect(result.metrics).not.toHaveProperty('answer_relevance');
      expect(result.metrics).not.toHaveProperty('made_up');
      expect(summary.metrics.citation_validity).toMatchObject({ count: 1, mean: 0.5 });
    } finally {
      await gateway.close();
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
