/**
 * Reads of golden datasets on behalf of a caller: scoped to the caller's tenant and to what its
 * ACL groups may read (an example derived from restricted chunks is invisible to a caller outside
 * their groups), and to complete examples unless incomplete ones are asked for.
 */
import type { Collection, Filter, Page } from '@keel/doc-store';
import { findVisiblePage } from '@keel/doc-store';
import { canRead, type Principal } from '@keel/platform';
import { isCompleteExample } from './example-completeness.js';
import type { GoldenExample } from './golden-example.js';

export type Reader = Pick<Principal, 'tenantId' | 'aclGroups'>;

export interface ListExamplesQuery {
  limit: number;
  cursor?: string;
  /** Also list examples that lack a question or an answer (never part of an export). */
  includeIncomplete?: boolean;
}

export function exampleReadableBy(reader: Reader, example: GoldenExample): boolean {
  return example.tenantId === reader.tenantId && canRead(reader.aclGroups, example.readRequires);
}

/**
 * Newest first. An unknown dataset is simply empty: datasets exist by having examples. A page may
 * be short (even empty) and still carry a `nextCursor` when examples were skipped: clients follow
 * cursors until there is none.
 */
export function listExamples(
  examples: Collection<GoldenExample>,
  reader: Reader,
  datasetId: string,
  query: ListExamplesQuery,
): Promise<Page<GoldenExample>> {
  const where: Filter = { tenantId: reader.tenantId, datasetId };
  // Examples flagged incomplete are filtered by the store; older ones without the flag are
  // judged by their text below.
  if (!query.includeIncomplete) where.complete = { $ne: false };
  return findVisiblePage(
    examples,
    {
      where,
      orderBy: { field: 'createdAt', direction: 'desc' },
      limit: query.limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
    },
    {
      visible: (example) =>
        exampleReadableBy(reader, example) && (query.includeIncomplete === true || isCompleteExample(example)),
    },
  );
}
