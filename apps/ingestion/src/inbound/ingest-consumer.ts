/**
 * The consumer of `keel.ingest.requested.v1` (group `keel-ingestion`): the only place documents
 * are processed, whether they came from upstream or through `POST /v1/documents`. Undecodable
 * events and events without a tenant never reach `handle`: the event bus dead-letters them.
 */
import type { EventMeta } from '@keel/contracts';
import type { IngestRequested } from '@keel/contracts/events/v1/documents';
import { type EventBus, type RetryPolicy, type Subscription, subscribeToEvents } from '@keel/event-bus';
import { documentIdForEvent, jobIdForEvent } from '../indexing/identifiers.js';
import { DEFAULT_CONTENT_TYPE, type IngestRequest, normalizeAclGroups } from '../indexing/ingest-request.js';
import type { Ingestion } from '../indexing/ingestion.js';

export const INGESTION_CONSUMER_GROUP = 'keel-ingestion';

/** Upstream events may omit the job and document ids: both are derived from the idempotency key. */
export function requestFromEvent(payload: IngestRequested, meta: EventMeta): IngestRequest {
  const tenantId = payload.tenantId;
  return {
    tenantId,
    jobId: payload.jobId || jobIdForEvent(tenantId, meta.idempotencyKey),
    documentId: payload.documentId || documentIdForEvent(tenantId, meta.idempotencyKey),
    title: payload.title,
    source: payload.source,
    contentType: payload.contentType || DEFAULT_CONTENT_TYPE,
    text: payload.text,
    metadata: { ...payload.metadata },
    aclGroups: normalizeAclGroups(payload.aclGroups),
  };
}

export function startIngestConsumer(
  bus: EventBus,
  ingestion: Ingestion,
  options: { retry?: Partial<RetryPolicy> } = {},
): Promise<Subscription> {
  return subscribeToEvents(bus, {
    groupId: INGESTION_CONSUMER_GROUP,
    topic: 'keel.ingest.requested.v1',
    ...(options.retry ? { retry: options.retry } : {}),
    handle: async (event) => {
      await ingestion.process(requestFromEvent(event.payload, event.meta));
    },
  });
}
