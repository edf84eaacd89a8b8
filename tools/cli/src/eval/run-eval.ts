/**
 * The offline run: each golden row's question goes through the real gateway (`POST /v1/answers`),
 * its answer is scored by the evaluation service's scorer (`POST /v1/evaluations:score`, the
 * worker pool that scores live traffic) and measured against the row's reference and relevant
 * documents. At most `concurrency` rows are in flight; each result is appended to
 * `results.jsonl` as it finishes (waiting for the file to drain), and only totals stay in memory,
 * so a run of any size holds about `concurrency` rows.
 *
 * A row's failure (a refusal, a policy block, a 5xx after the retries, garbage instead of JSON) is
 * recorded on that row and the run goes on. Only a refused API key stops it: every row would fail.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { type BackoffOptions, fetchWithBackoff, KeyRefused, RetriesExhausted } from './backoff-fetch.js';
import type { NumberedRow } from './golden-rows.js';
import { retrievalMetrics, tokenF1 } from './row-metrics.js';
import {
  METRICS,
  type MetricName,
  type RowOutcome,
  type RunMetadata,
  type RunSummary,
  RunTotals,
} from './run-summary.js';

export interface EvalRunOptions {
  rows: AsyncIterable<NumberedRow>;
  gatewayUrl: string;
  evaluationUrl: string;
  apiKey: string;
  model?: string;
  concurrency: number;
  outDir: string;
  metadata: RunMetadata;
  backoff?: BackoffOptions;
  signal?: AbortSignal;
  onRow?: (totals: RunTotals) => void;
}

export interface EvalRunResult {
  summary: RunSummary;
  /** Set when the run stopped because a service refused the API key. */
  refused?: string;
}

interface Citation {
  marker?: number;
  documentId?: string;
  chunkId?: string;
  quote?: string;
}

interface RowError {
  stage: 'answer' | 'score';
  status: number | null;
  code: string;
  detail: string;
}

export function parseCost(header: string | null): { amount: number; currency: string } | undefined {
  if (!header) return undefined;
  const match = /^\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s+([A-Z]{3})\s*$/i.exec(header);
  return match ? { amount: Number(match[1]), currency: (match[2] as string).toUpperCase() } : undefined;
}

function problemOf(text: string, status: number | null): { code: string; detail: string } {
  try {
    const body = JSON.parse(text) as {
      code?: string;
      detail?: string;
      title?: string;
      error?: { message?: string; code?: string };
    };
    return {
      code: body.code ?? body.error?.code ?? `HTTP_${status}`,
      detail: body.detail ?? body.error?.message ?? body.title ?? text.slice(0, 300),
    };
  } catch {
    return { code: status === null ? 'NETWORK' : `HTTP_${status}`, detail: text.slice(0, 300) || `HTTP ${status}` };
  }
}

function errorOf(stage: RowError['stage'], error: unknown): RowError {
  if (error instanceof RetriesExhausted) {
    const problem = problemOf(error.text, error.status);
    return {
      stage,
      status: error.status,
      code: error.status === null ? 'NETWORK' : problem.code,
      detail: error.status === null ? error.message : `${problem.detail} (after ${error.attempts} attempts)`,
    };
  }
  return { stage, status: null, code: 'CLIENT', detail: (error as Error).message };
}

async function runRow(options: EvalRunOptions, { index, row }: NumberedRow) {
  const headers = { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' };
  const request = JSON.stringify({ question: row.question, ...(options.model ? { model: options.model } : {}) });
  const base = {
    index,
    id: row.id,
    question: row.question,
    ...(row.tags ? { tags: row.tags } : {}),
  };
  let answered: Awaited<ReturnType<typeof fetchWithBackoff>>;
  try {
    answered = await fetchWithBackoff(
      `${options.gatewayUrl}/v1/answers`,
      () => ({ method: 'POST', headers, body: request }),
      {
        ...options.backoff,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
  } catch (error) {
    if (error instanceof KeyRefused || options.signal?.aborted) throw error;
    return { ...base, status: 'error' as const, error: errorOf('answer', error), metrics: {} };
  }
  const timing = { attempts: answered.attempts, latencyMs: Math.round(answered.latencyMs * 100) / 100 };
  if (answered.response.status !== 200) {
    const problem = problemOf(answered.text, answered.response.status);
    return {
      ...base,
      ...timing,
      status: 'error' as const,
      error: { stage: 'answer' as const, status: answered.response.status, ...problem },
      metrics: {},
    };
  }
  let body: { id?: string; answer?: unknown; citations?: Citation[]; model?: string };
  try {
    body = JSON.parse(answered.text);
  } catch {
    body = {};
  }
  if (typeof body.answer !== 'string' || (body.citations !== undefined && !Array.isArray(body.citations))) {
    return {
      ...base,
      ...timing,
      status: 'error' as const,
      error: {
        stage: 'answer' as const,
        status: 200,
        code: 'GATEWAY.BAD_RESPONSE',
        detail: `not an answer: ${answered.text.slice(0, 200)}`,
      },
      metrics: {},
    };
  }
  const answer = body.answer;
  const citations = (body.citations ?? []).filter(
    (citation): citation is Citation => typeof citation === 'object' && citation !== null,
  );
  const cost = parseCost(answered.response.headers.get('x-keel-cost'));
  const metrics: Partial<Record<MetricName, number>> = { latency_ms: timing.latencyMs };
  if (cost) metrics.cost = cost.amount;
  if (row.reference_answer !== undefined) metrics.reference_overlap = tokenF1(answer, row.reference_answer);
  const retrieval = retrievalMetrics(
    citations.map((citation) => citation.documentId ?? '').filter(Boolean),
    row.relevant_document_ids ?? [],
  );
  if (retrieval) {
    metrics.retrieval_hit_rate = retrieval.retrieval_hit;
    metrics.recall_at_k = retrieval.recall_at_k;
  }
  const answeredRow = {
    ...base,
    ...timing,
    requestId: body.id ?? null,
    model: body.model ?? null,
    answer,
    citations: citations.map(({ marker, documentId, chunkId }) => ({ marker, documentId, chunkId })),
    ...(cost ? { cost } : {}),
  };

  // The scorer judges the answer against the passages it cites (their quotes).
  const contexts = citations
    .filter((citation) => typeof citation.quote === 'string' && citation.quote.length > 0)
    .map((citation, position) => ({
      chunkId: citation.chunkId || `citation-${citation.marker ?? position}`,
      text: citation.quote as string,
    }));
  let scored: Awaited<ReturnType<typeof fetchWithBackoff>>;
  try {
    scored = await fetchWithBackoff(
      `${options.evaluationUrl}/v1/evaluations:score`,
      () => ({
        method: 'POST',
        headers,
        body: JSON.stringify({ id: row.id, question: row.question, answer, contexts }),
      }),
      { ...options.backoff, ...(options.signal ? { signal: options.signal } : {}) },
    );
  } catch (error) {
    if (error instanceof KeyRefused || options.signal?.aborted) throw error;
    return { ...answeredRow, status: 'error' as const, error: errorOf('score', error), metrics };
  }
  let scores: {
    groundedness?: unknown;
    citationCoverage?: unknown;
    abstained?: unknown;
    evaluatorVersion?: unknown;
    scores?: unknown;
  } = {};
  try {
    scores = JSON.parse(scored.text);
  } catch {}
  if (
    scored.response.status !== 200 ||
    typeof scores.groundedness !== 'number' ||
    typeof scores.citationCoverage !== 'number'
  ) {
    const problem =
      scored.response.status === 200
        ? { code: 'EVALUATION.BAD_RESPONSE', detail: `not scores: ${scored.text.slice(0, 200)}` }
        : problemOf(scored.text, scored.response.status);
    return {
      ...answeredRow,
      status: 'error' as const,
      error: { stage: 'score' as const, status: scored.response.status, ...problem },
      metrics,
    };
  }
  metrics.groundedness = scores.groundedness;
  metrics.citation_coverage = scores.citationCoverage;
  for (const score of Array.isArray(scores.scores) ? scores.scores : []) {
    const { metric, value } = (score ?? {}) as { metric?: unknown; value?: unknown };
    if (typeof metric !== 'string' || typeof value !== 'number' || !(metric in METRICS)) continue;
    if (metric in metrics || METRICS[metric]?.scale !== 'unit' || value < 0 || value > 1) continue;
    metrics[metric] = value;
  }
  return {
    ...answeredRow,
    status: 'ok' as const,
    abstained: scores.abstained === true,
    evaluatorVersion: typeof scores.evaluatorVersion === 'string' ? scores.evaluatorVersion : null,
    metrics,
  };
}

export async function runEval(options: EvalRunOptions): Promise<EvalRunResult> {
  const totals = new RunTotals();
  const out = createWriteStream(join(options.outDir, 'results.jsonl'));
  const iterator = options.rows[Symbol.asyncIterator]();
  let refused: string | undefined;
  let failure: unknown;
  const stopped = () => refused !== undefined || failure !== undefined || options.signal?.aborted === true;

  // One wait for 'drain' shared by every worker that finds the file's buffer full (a listener
  // per worker would pile up at high concurrency).
  let draining: Promise<unknown> | undefined;
  const write = async (line: string) => {
    if (draining) await draining;
    if (!out.write(line)) {
      draining ??= once(out, 'drain').finally(() => {
        draining = undefined;
      });
      await draining;
    }
  };

  const worker = async () => {
    while (!stopped()) {
      let next: IteratorResult<NumberedRow>;
      try {
        next = await iterator.next();
      } catch (error) {
        failure ??= error;
        return;
      }
      if (next.done) return;
      let result: Awaited<ReturnType<typeof runRow>>;
      try {
        result = await runRow(options, next.value);
      } catch (error) {
        if (error instanceof KeyRefused) refused ??= error.message;
        else if (!options.signal?.aborted) failure ??= error;
        return;
      }
      const outcome: RowOutcome = {
        tags: next.value.row.tags ?? [],
        ok: result.status === 'ok',
        metrics: result.metrics,
        ...('cost' in result && result.cost ? { currency: result.cost.currency } : {}),
        ...(result.status === 'error' ? { errorCode: result.error.code, stage: result.error.stage } : {}),
      };
      totals.add(outcome);
      await write(`${JSON.stringify(result)}\n`);
      options.onRow?.(totals);
    }
  };

  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    await iterator.return?.();
    out.end();
    await once(out, 'close');
  }
  if (failure !== undefined) throw failure;
  const summary = totals.summarize(options.metadata, new Date(), options.signal?.aborted === true);
  return { summary, ...(refused ? { refused } : {}) };
}
