/** Tenant-scoped reads of stored evaluations. */
import type { Collection, Filter, Page } from '@keel/doc-store';
import { findPage } from '@keel/doc-store';
import { notFound } from '@keel/platform';
import type { EvaluationRecord } from './evaluation-record.js';

export async function getEvaluation(
  evaluations: Collection<EvaluationRecord>,
  tenantId: string,
  requestId: string,
): Promise<EvaluationRecord> {
  const record = await evaluations.get(requestId);
  // Another tenant's evaluation is reported exactly like a missing one: ids reveal nothing.
  if (!record || record.tenantId !== tenantId) throw notFound(`evaluation ${requestId}`, 'EVALUATION.NOT_FOUND');
  return record;
}

export interface ListEvaluationsQuery {
  passed?: boolean;
  limit: number;
  cursor?: string;
}

/** Newest first. */
export function listEvaluations(
  evaluations: Collection<EvaluationRecord>,
  tenantId: string,
  query: ListEvaluationsQuery,
): Promise<Page<EvaluationRecord>> {
  const where: Filter = { tenantId };
  if (query.passed !== undefined) where.passed = query.passed;
  return findPage(evaluations, {
    where,
    orderBy: { field: 'createdAt', direction: 'desc' },
    limit: query.limit,
    ...(query.cursor ? { cursor: query.cursor } : {}),
  });
}
