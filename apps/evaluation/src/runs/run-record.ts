/**
 * Offline runs recorded by `keel eval run --record` (or any client): the run's `summary.json`,
 * kept per tenant so that the console and teams see a data set's history. The summary is
 * checked against the shape the CLI writes (every list and text bounded); what a run produced
 * row by row stays in its `results.jsonl`, not here.
 */
import { randomUUID } from 'node:crypto';
import type { Collection, CollectionOptions, Page } from '@keel/doc-store';
import { findPage } from '@keel/doc-store';
import { notFound, z } from '@keel/platform';

export const RUNS_COLLECTION = 'evaluation_runs';
export const runsCollectionOptions: CollectionOptions = {
  indexes: [{ fields: ['tenantId', 'createdAt'] }, { fields: ['tenantId', 'datasetId', 'createdAt'] }],
};

const text = (limit: number) => z.string().max(limit, `at most ${limit} characters`);
const nullableNumber = z.number().finite().nullable();
const stats = z.strictObject({
  count: z.number().int().min(0),
  mean: nullableNumber,
  min: nullableNumber,
  max: nullableNumber,
  p50: nullableNumber,
  p90: nullableNumber,
  p95: nullableNumber,
  p99: nullableNumber,
});
const boundedRecord = <T extends z.ZodType>(value: T, max: number) =>
  z.record(text(128), value).refine((record) => Object.keys(record).length <= max, `at most ${max} entries`);

export const runSummarySchema = z.object({
  format: z.literal('keel.eval.summary/1'),
  dataset: z.object({
    source: z.enum(['service', 'file']),
    id: text(256).min(1),
    version: z.union([z.number().int(), text(32)]).nullable(),
    path: text(4096).optional(),
  }),
  gateway: text(2048),
  evaluation: text(2048),
  model: text(256).nullable(),
  tagFilter: z.array(text(64)).max(32),
  concurrency: z.number().int().min(1).max(1024),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  durationMs: z.number().min(0),
  interrupted: z.boolean(),
  rows: z.object({
    total: z.number().int().min(0),
    answered: z.number().int().min(0),
    scored: z.number().int().min(0),
    errors: z.number().int().min(0),
    errorsByCode: boundedRecord(z.number().int().min(0), 100),
  }),
  error_rate: z.number().min(0).max(1),
  currency: text(8).nullable(),
  metrics: boundedRecord(stats, 32),
  tags: boundedRecord(
    z.object({
      rows: z.number().int().min(0),
      errors: z.number().int().min(0),
      means: boundedRecord(nullableNumber, 32),
    }),
    201,
  ),
  histograms: boundedRecord(
    z.object({ edges: z.array(z.number().finite()).max(201), counts: z.array(z.number().int().min(0)).max(200) }),
    32,
  ),
  gate: z
    .object({
      passed: z.boolean(),
      failures: z.array(text(1024)).max(100),
      checks: z
        .array(z.object({ check: text(512), actual: nullableNumber, limit: z.number().finite(), passed: z.boolean() }))
        .max(200),
      thresholds: z.array(z.object({ metric: text(64), value: z.number().finite() })).max(100),
      tolerance: z.number().min(0).max(1),
      baseline: text(4096).nullable(),
    })
    .optional(),
});

export type RunSummaryInput = z.infer<typeof runSummarySchema>;

export type RunRecord = {
  id: string;
  tenantId: string;
  datasetId: string;
  datasetVersion: string | number | null;
  /** The gate's verdict, null when the summary carries none. */
  passed: boolean | null;
  createdBy: string;
  createdAt: number;
  summary: RunSummaryInput;
};

export async function recordRun(
  runs: Collection<RunRecord>,
  recorder: { tenantId: string; createdBy: string },
  summary: RunSummaryInput,
  now: () => number = Date.now,
): Promise<RunRecord> {
  const record: RunRecord = {
    id: randomUUID(),
    tenantId: recorder.tenantId,
    datasetId: summary.dataset.id,
    datasetVersion: summary.dataset.version,
    passed: summary.gate?.passed ?? null,
    createdBy: recorder.createdBy,
    createdAt: now(),
    summary,
  };
  await runs.insert(record);
  return record;
}

export function listRuns(
  runs: Collection<RunRecord>,
  tenantId: string,
  query: { limit: number; cursor?: string; datasetId?: string },
): Promise<Page<RunRecord>> {
  return findPage(runs, {
    where: { tenantId, ...(query.datasetId ? { datasetId: query.datasetId } : {}) },
    orderBy: { field: 'createdAt', direction: 'desc' },
    limit: query.limit,
    ...(query.cursor ? { cursor: query.cursor } : {}),
  });
}

export async function getRun(runs: Collection<RunRecord>, tenantId: string, id: string): Promise<RunRecord> {
  const record = await runs.get(id);
  if (!record || record.tenantId !== tenantId) throw notFound(`run ${id}`);
  return record;
}

/** The listing's view: what a history table shows, without the histograms and per-tag figures. */
export function runListView(record: RunRecord) {
  const { summary } = record;
  return {
    id: record.id,
    datasetId: record.datasetId,
    datasetVersion: record.datasetVersion,
    passed: record.passed,
    createdBy: record.createdBy,
    createdAt: new Date(record.createdAt).toISOString(),
    startedAt: summary.startedAt,
    model: summary.model,
    gateway: summary.gateway,
    rows: summary.rows,
    error_rate: summary.error_rate,
    means: Object.fromEntries(Object.entries(summary.metrics).map(([name, value]) => [name, value.mean])),
  };
}

export function runView(record: RunRecord) {
  return { ...runListView(record), summary: record.summary };
}
