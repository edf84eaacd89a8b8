/**
 * The consumer of `keel.ingest.requested.v1` (group `keel-ingestion`): the only place documents
 * are processed, whether they came from upstream or through `POST /v1/documents`. Undecodable
 * events and events without a tenant never reach `handle`: the event bus dead-letters them, and
 * so are events whose ids are unusable (there is no job to record them on) and events with more
 * metadata entries or groups than a request may have (identifying them would be unbounded work). A second
 * subscription reads the dead-letter topic and fails the job of every request that ended there,
 * so that no job waits forever for a request that will not come.
 */
import { deadLetterTopicOf, decodeEvent, type EventMeta } from '@keel/contracts';
import type { IngestRequested } from '@keel/contracts/events/v1/documents';
import {
  DeadLetterHeader,
  type EventBus,
  type IncomingMessage,
  type RetryPolicy,
  type Subscription,
  subscribeToEvents,
} from '@keel/event-bus';
import { type Logger, validationError } from '@keel/platform';
import {
  DOCUMENT_ID_PATTERN,
  documentIdForEvent,
  eventContentDigest,
  JOB_ID_PATTERN,
  jobIdForEvent,
  TENANT_ID_PATTERN,
} from '../indexing/identifiers.js';
import {
  aclGroupsFromEvent,
  DEFAULT_CONTENT_TYPE,
  type IngestRequest,
  REQUEST_LIMITS,
} from '../indexing/ingest-request.js';
import type { Ingestion } from '../indexing/ingestion.js';
import { bindTraceScope } from '../indexing/request-trace.js';
import { fileOfEvent } from './event-file.js';

export const INGESTION_CONSUMER_GROUP = 'keel-ingestion';

const TOPIC = 'keel.ingest.requested.v1';

/**
 * The request an event asks for. Its identity comes from what it carries:
 * - the document: `document_id`, else one derived from the tenant and the content;
 * - the job: `job_id`, else one derived from the tenant, the document, the content and the
 *   idempotency key (empty without Keel headers). The same event delivered or sent again is one
 *   job; an update (other content) is a new one.
 * Unusable ids throw a non-retryable error: the event goes to the dead-letter topic.
 */
export function requestFromEvent(payload: IngestRequested, meta: EventMeta): IngestRequest {
  const tenantId = payload.tenantId;
  const invalid: { field: string; message: string }[] = [];
  if (!TENANT_ID_PATTERN.test(tenantId)) {
    invalid.push({ field: 'tenant_id', message: "must be 1-128 letters, digits, '.', '_' or '-'" });
  }
  if (payload.documentId && !DOCUMENT_ID_PATTERN.test(payload.documentId)) {
    invalid.push({
      field: 'document_id',
      message: 'must be 1-128 characters of letters, digits, ".", "_", "~" or "-", starting with a letter or digit',
    });
  }
  if (payload.jobId && !JOB_ID_PATTERN.test(payload.jobId)) {
    invalid.push({
      field: 'job_id',
      message: 'must be 1-128 characters of letters, digits, ".", "_", "~" or "-", starting with a letter or digit',
    });
  }
  if (invalid.length > 0) {
    throw validationError(
      invalid,
      `unusable ids: ${invalid.map((entry) => `${entry.field}: ${entry.message}`).join('; ')}`,
      'INGEST.INVALID_IDS',
    );
  }
  // Identifying an event sorts its metadata and groups: past their limits, it is not attempted.
  const metadataEntries = Object.keys(payload.metadata).length;
  if (metadataEntries > REQUEST_LIMITS.metadataEntries || payload.aclGroups.length > REQUEST_LIMITS.aclGroups) {
    throw validationError(
      [
        metadataEntries > REQUEST_LIMITS.metadataEntries
          ? { field: 'metadata', message: `must have at most ${REQUEST_LIMITS.metadataEntries} entries` }
          : { field: 'acl_groups', message: `must have at most ${REQUEST_LIMITS.aclGroups} groups` },
      ],
      `an event must have at most ${REQUEST_LIMITS.metadataEntries} metadata entries and ${REQUEST_LIMITS.aclGroups} ACL groups (it has ${metadataEntries} and ${payload.aclGroups.length})`,
      'INGEST.EVENT_TOO_LARGE',
    );
  }
  const file = fileOfEvent(payload);
  // A file's type comes from its bytes: no default hint.
  const contentType = payload.contentType || (file.content ? '' : DEFAULT_CONTENT_TYPE);
  const content = {
    // Two files differing only in their bytes are two documents.
    text: file.key === '' ? payload.text : `${payload.text}\u0000${file.key}`,
    title: payload.title,
    source: payload.source,
    contentType,
    metadata: { ...payload.metadata },
    aclGroups: payload.aclGroups,
  };
  const needsDigest = !payload.documentId || !payload.jobId;
  const digest = needsDigest ? eventContentDigest(content) : '';
  const documentId = payload.documentId || documentIdForEvent(tenantId, digest);
  return {
    tenantId,
    jobId: payload.jobId || jobIdForEvent(tenantId, documentId, digest, meta.idempotencyKey),
    documentId,
    title: content.title,
    source: content.source,
    contentType,
    text: payload.text,
    ...(file.content ? { content: file.content } : {}),
    ...(file.fileName ? { fileName: file.fileName } : {}),
    metadata: content.metadata,
    aclGroups: aclGroupsFromEvent(payload.aclGroups),
    ...(payload.jobId ? {} : { contentAddressed: true }),
  };
}

/**
 * With `batchSize` above 1 the consumer takes up to that many requests of a partition at once
 * and processes them together (`Ingestion.processBatch`); a request that failed, and the ones
 * held back behind it, go through the one-at-a-time path with its retries and dead-lettering.
 * The partition waits while its batch is processed: a saturated pipeline stops the consumer
 * fetching rather than buffering requests.
 */
export function startIngestConsumer(
  bus: EventBus,
  ingestion: Ingestion,
  options: { retry?: Partial<RetryPolicy>; groupId?: string; batchSize?: number } = {},
): Promise<Subscription> {
  const batchSize = options.batchSize ?? 1;
  return subscribeToEvents<typeof TOPIC>(bus, {
    groupId: options.groupId ?? INGESTION_CONSUMER_GROUP,
    topic: TOPIC,
    ...(options.retry ? { retry: options.retry } : {}),
    handle: async (event) => {
      await ingestion.process(requestFromEvent(event.payload, event.meta));
    },
    ...(batchSize > 1
      ? {
          batch: {
            maxMessages: batchSize,
            handle: async (events) => {
              const unfinished: IncomingMessage[] = [];
              const accepted: { request: IngestRequest; message: IncomingMessage }[] = [];
              for (const { event, message, inTrace } of events) {
                try {
                  accepted.push({
                    request: bindTraceScope(requestFromEvent(event.payload, event.meta), inTrace),
                    message,
                  });
                } catch {
                  // Unusable: the one-at-a-time path dead-letters it with the reason.
                  unfinished.push(message);
                }
              }
              const results = await ingestion.processBatch(accepted.map(({ request }) => request));
              results.forEach((result, index) => {
                if (!result.ok) unfinished.push((accepted[index] as { message: IncomingMessage }).message);
              });
              return unfinished;
            },
          },
        }
      : {}),
  });
}

/** Why a dead letter's request failed, for the job's `reason`. */
export function deadLetterReason(message: IncomingMessage): string {
  const error = message.headers[DeadLetterHeader.error] ?? 'unknown error';
  const attempts = message.headers[DeadLetterHeader.attempts];
  return `the request went to ${deadLetterTopicOf(TOPIC)}${attempts ? ` after ${attempts} attempts` : ''}: ${error}`;
}

/**
 * Fails the job of every request dead-lettered by the consumer (group `<group>-dead-letters`).
 * Letters without a job (undecodable, no tenant, unusable ids) are skipped. Never throws: a
 * letter that cannot be recorded leaves its job running with its last failure, as before.
 */
export function startDeadLetterWatcher(
  bus: EventBus,
  ingestion: Ingestion,
  logger: Logger,
  options: { groupId?: string } = {},
): Promise<Subscription> {
  const consumerGroup = options.groupId ?? INGESTION_CONSUMER_GROUP;
  return bus.subscribe({
    groupId: `${consumerGroup}-dead-letters`,
    topics: [deadLetterTopicOf(TOPIC)],
    handler: async (message) => {
      const group = message.headers[DeadLetterHeader.consumerGroup];
      if (group !== undefined && group !== consumerGroup) return;
      let request: IngestRequest;
      try {
        const event = decodeEvent(TOPIC, message);
        request = requestFromEvent(event.payload, event.meta);
      } catch {
        return;
      }
      try {
        await ingestion.failDeadLettered(
          request.tenantId,
          request.jobId,
          request.documentId,
          deadLetterReason(message),
        );
      } catch (error) {
        logger.warn(
          { err: error, tenantId: request.tenantId, jobId: request.jobId },
          'could not record a dead-lettered request on its job',
        );
      }
    },
  });
}
