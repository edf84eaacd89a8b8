/** Test wiring for the queue use cases: the review fixture plus queues, request keys, comments and audit. */
import type { DocumentStore } from '@keel/doc-store';
import { AUDIT_COLLECTION, type AuditRecord, auditCollectionOptions } from '../audit/audit-log.js';
import type { Reviewer } from '../reviews/reviewer.js';
import { openReviewFixture, type ReviewFixture } from '../testing/fixtures.js';
import type { BulkDeps } from './bulk-actions.js';
import { openWorkCollections } from './open-work.js';
import { createQueue } from './queue-store.js';
import { EMPTY_RUBRIC, type QueueSettings } from './review-queue.js';

export type WorkFixture = ReviewFixture & { work: BulkDeps & Awaited<ReturnType<typeof openWorkCollections>> };

export async function openWorkFixture(store: DocumentStore): Promise<WorkFixture> {
  const fixture = await openReviewFixture(store);
  const work = await openWorkCollections(store);
  const audit = await store.collection<AuditRecord>(AUDIT_COLLECTION, auditCollectionOptions);
  return { ...fixture, work: { ...fixture.deps, ...work, audit } };
}

export function reviewer(name: string, overrides: Partial<Reviewer> = {}): Reviewer {
  return { tenantId: 'acme', name, aclGroups: [], roles: ['reviewer'], ...overrides };
}

export function settings(overrides: Partial<QueueSettings> = {}): QueueSettings {
  return {
    name: 'Queue',
    description: '',
    match: {},
    order: 10,
    basePriority: 50,
    slaMinutes: 60,
    reviewersPerItem: 1,
    rubric: EMPTY_RUBRIC,
    ...overrides,
  };
}

export function addQueue(fixture: WorkFixture, queueId: string, overrides: Partial<QueueSettings> = {}) {
  return createQueue(fixture.work, 'acme', queueId, settings({ name: queueId, ...overrides }));
}
