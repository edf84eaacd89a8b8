/** Tenant-scoped reads of golden datasets. */
import type { Collection, Page } from '@keel/doc-store';
import { findPage } from '@keel/doc-store';
import type { GoldenExample } from './golden-example.js';

/** Newest first. An unknown dataset is simply empty: datasets exist by having examples. */
export function listExamples(
  examples: Collection<GoldenExample>,
  tenantId: string,
  datasetId: string,
  page: { limit: number; cursor?: string },
): Promise<Page<GoldenExample>> {
  return findPage(examples, {
    where: { tenantId, datasetId },
    orderBy: { field: 'createdAt', direction: 'desc' },
    limit: page.limit,
    ...(page.cursor ? { cursor: page.cursor } : {}),
  });
}
