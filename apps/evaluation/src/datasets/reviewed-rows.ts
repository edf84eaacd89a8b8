/**
 * The `reviewed-answers` data set as golden rows: reviewers' decisions are already golden
 * examples (record-review-decision.ts), so the data set a decision feeds is read from those
 * examples, not copied into a second store. It has one version, `latest`, which grows as
 * reviewers decide. Only complete examples the caller may read become rows, oldest first.
 *
 * - approved: the answer is the reference, and the documents it cited are the relevant ones;
 * - corrected: the correction is the reference (the cited documents grounded the answer that
 *   was wrong, so they are not claimed relevant);
 * - rejected: the question alone (tagged `rejected`): a case to re-run, with nothing to compare to.
 */
import type { Collection, Filter } from '@keel/doc-store';
import { findVisiblePage } from '@keel/doc-store';
import { exampleReadableBy, type Reader } from './dataset-queries.js';
import { isCompleteExample } from './example-completeness.js';
import { type GoldenExample, REVIEWED_ANSWERS_DATASET } from './golden-example.js';
import { GOLDEN_ROW_LIMITS, type GoldenRow } from './golden-row.js';

const PAGE_SIZE = 200;

export function rowOfExample(example: GoldenExample): GoldenRow {
  const row: GoldenRow = {
    id: example.id,
    question: example.question.slice(0, GOLDEN_ROW_LIMITS.question),
    tags: ['reviewed', example.label],
  };
  if (example.label !== 'rejected') row.reference_answer = example.answer.slice(0, GOLDEN_ROW_LIMITS.referenceAnswer);
  if (example.label === 'approved') {
    const documentIds = [...new Set((example.citations ?? []).map((citation) => citation.documentId))].filter(Boolean);
    if (documentIds.length > 0) row.relevant_document_ids = documentIds.slice(0, GOLDEN_ROW_LIMITS.relevantDocumentIds);
  }
  return row;
}

export async function* reviewedRows(examples: Collection<GoldenExample>, reader: Reader): AsyncGenerator<GoldenRow> {
  const where: Filter = { tenantId: reader.tenantId, datasetId: REVIEWED_ANSWERS_DATASET, complete: { $ne: false } };
  let cursor: string | undefined;
  do {
    const page = await findVisiblePage(
      examples,
      {
        where,
        // Oldest first: examples decided while the rows stream come after the cursor.
        orderBy: { field: 'createdAt', direction: 'asc' },
        limit: PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      },
      { visible: (example) => exampleReadableBy(reader, example) && isCompleteExample(example) },
    );
    for (const example of page.items) yield rowOfExample(example);
    cursor = page.nextCursor;
  } while (cursor);
}

export interface ReviewedSummary {
  rowCount: number;
  tagCounts: Record<string, number>;
  updatedAt: number | null;
}

/** Counts what the caller would read (the ACL rule is applied per example, so this reads them all). */
export async function summarizeReviewed(
  examples: Collection<GoldenExample>,
  reader: Reader,
): Promise<ReviewedSummary | null> {
  const any = await examples.count({ tenantId: reader.tenantId, datasetId: REVIEWED_ANSWERS_DATASET });
  if (any === 0) return null;
  const summary: ReviewedSummary = { rowCount: 0, tagCounts: {}, updatedAt: null };
  for await (const row of reviewedRows(examples, reader)) {
    summary.rowCount++;
    for (const tag of row.tags ?? []) summary.tagCounts[tag] = (summary.tagCounts[tag] ?? 0) + 1;
  }
  const newest = await examples.find({
    where: { tenantId: reader.tenantId, datasetId: REVIEWED_ANSWERS_DATASET },
    orderBy: { field: 'createdAt', direction: 'desc' },
    limit: 1,
  });
  summary.updatedAt = newest.items[0]?.createdAt ?? null;
  return summary;
}
