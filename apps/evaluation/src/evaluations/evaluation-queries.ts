/**
 * Reads of stored evaluations on behalf of a caller: scoped to the caller's tenant and to what its
 * ACL groups may read. An evaluation the caller may not read (another tenant's, or one derived
 * from chunks outside its groups) is reported exactly like a missing one, and left out of lists.
 */
import type { Collection, Filter, Page } from '@keel/doc-store';
import { findVisiblePage } from '@keel/doc-store';
import { canRead, notFound, type Principal } from '@keel/platform';
import type { EvaluationRecord } from './evaluation-record.js';

/** Who reads: the tenant scopes the query, the groups decide what of it is visible. */
export type Reader = Pick<Principal, 'tenantId' | 'aclGroups'>;

export function readableBy(reader: Reader, record: EvaluationRecord): boolean {
  return record.tenantId === reader.tenantId && canRead(reader.aclGroups, record.readRequires);
}

export async function getEvaluation(
  evaluations: Collection<EvaluationRecord>,
  reader: Reader,
  requestId: string,
): Promise<EvaluationRecord> {
  const record = await evaluations.get(requestId);
  // Hidden and missing are one answer (404, never 403): ids reveal nothing.
  if (!record || !readableBy(reader, record)) throw notFound(`evaluation ${requestId}`, 'EVALUATION.NOT_FOUND');
  return record;
}

export interface ListEvaluationsQuery {
  passed?: boolean;
  limit: number;
  cursor?: string;
}

/**
 * Newest first. A page may be short (even empty) and still carry a `nextCursor` when records the
 * caller may not read were skipped: clients follow cursors until there is none.
 */
export function listEvaluations(
  evaluations: Collection<EvaluationRecord>,
  reader: Reader,
  query: ListEvaluationsQuery,
): Promise<Page<EvaluationRecord>> {
  const where: Filter = { tenantId: reader.tenantId };
  if (query.passed !== undefined) where.passed = query.passed;
  return findVisiblePage(
    evaluations,
    {
      where,
      orderBy: { field: 'createdAt', direction: 'desc' },
      limit: query.limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
    },
    { visible: (record) => readableBy(reader, record) },
  );
}
