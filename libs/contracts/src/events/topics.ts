/**
 * The topic registry: every Keel topic, the protobuf message it carries and how its partition
 * key is derived. Keys are `<tenant>:<aggregate id>` so that one aggregate's events stay in order.
 */
import { DocumentIndexed, DocumentRejected, IngestRequested } from '../generated/keel/events/v1/documents.js';
import { EvaluationDriftDetected, EvaluationScored } from '../generated/keel/events/v1/evaluation.js';
import { InferenceCompleted } from '../generated/keel/events/v1/inference.js';
import { PolicyChanged, PolicyDecided } from '../generated/keel/events/v1/policy.js';
import { ReviewDecided, ReviewRequested } from '../generated/keel/events/v1/review.js';

/** What the codec needs of a ts-proto message type. */
export interface MessageCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
  fromJSON(object: unknown): T;
  toJSON(message: T): unknown;
  fromPartial(object: Partial<T>): T;
}

export interface TopicDefinition<T> {
  name: string;
  /** The fully-qualified protobuf type, sent in the `keel-event-type` header. */
  eventType: string;
  codec: MessageCodec<T>;
  partitionKey(payload: T): string;
  /** The tenant the event belongs to; every Keel event has one. */
  tenantOf(payload: T): string;
  partitions: number;
}

function topic<T>(definition: TopicDefinition<T>): TopicDefinition<T> {
  return definition;
}

export const topics = {
  'keel.ingest.requested.v1': topic<IngestRequested>({
    name: 'keel.ingest.requested.v1',
    eventType: 'keel.events.v1.IngestRequested',
    codec: IngestRequested,
    partitionKey: (event) => `${event.tenantId}:${event.documentId || event.jobId}`,
    tenantOf: (event) => event.tenantId,
    partitions: 3,
  }),
  'keel.document.indexed.v1': topic<DocumentIndexed>({
    name: 'keel.document.indexed.v1',
    eventType: 'keel.events.v1.DocumentIndexed',
    codec: DocumentIndexed,
    partitionKey: (event) => `${event.tenantId}:${event.documentId}`,
    tenantOf: (event) => event.tenantId,
    partitions: 3,
  }),
  'keel.document.rejected.v1': topic<DocumentRejected>({
    name: 'keel.document.rejected.v1',
    eventType: 'keel.events.v1.DocumentRejected',
    codec: DocumentRejected,
    partitionKey: (event) => `${event.tenantId}:${event.documentId || event.jobId}`,
    tenantOf: (event) => event.tenantId,
    partitions: 3,
  }),
  'keel.inference.completed.v1': topic<InferenceCompleted>({
    name: 'keel.inference.completed.v1',
    eventType: 'keel.events.v1.InferenceCompleted',
    codec: InferenceCompleted,
    partitionKey: (event) => `${event.tenantId}:${event.requestId}`,
    tenantOf: (event) => event.tenantId,
    partitions: 3,
  }),
  'keel.policy.decided.v1': topic<PolicyDecided>({
    name: 'keel.policy.decided.v1',
    eventType: 'keel.events.v1.PolicyDecided',
    codec: PolicyDecided,
    partitionKey: (event) => `${event.tenantId}:${event.requestId || event.decisionId}`,
    tenantOf: (event) => event.tenantId,
    partitions: 3,
  }),
  'keel.policy.changed.v1': topic<PolicyChanged>({
    name: 'keel.policy.changed.v1',
    eventType: 'keel.events.v1.PolicyChanged',
    codec: PolicyChanged,
    // Keyed by tenant: a tenant's versions arrive in the order they were made.
    partitionKey: (event) => `${event.tenantId}:policy`,
    tenantOf: (event) => event.tenantId,
    partitions: 3,
  }),
  'keel.evaluation.scored.v1': topic<EvaluationScored>({
    name: 'keel.evaluation.scored.v1',
    eventType: 'keel.events.v1.EvaluationScored',
    codec: EvaluationScored,
    partitionKey: (event) => `${event.tenantId}:${event.requestId}`,
    tenantOf: (event) => event.tenantId,
    partitions: 3,
  }),
  'keel.evaluation.drift.v1': topic<EvaluationDriftDetected>({
    name: 'keel.evaluation.drift.v1',
    eventType: 'keel.events.v1.EvaluationDriftDetected',
    codec: EvaluationDriftDetected,
    // Keyed by tenant: a tenant's alerts arrive in the order they were raised.
    partitionKey: (event) => `${event.tenantId}:drift`,
    tenantOf: (event) => event.tenantId,
    partitions: 3,
  }),
  'keel.review.requested.v1': topic<ReviewRequested>({
    name: 'keel.review.requested.v1',
    eventType: 'keel.events.v1.ReviewRequested',
    codec: ReviewRequested,
    partitionKey: (event) => `${event.tenantId}:${event.reviewId}`,
    tenantOf: (event) => event.tenantId,
    partitions: 3,
  }),
  'keel.review.decided.v1': topic<ReviewDecided>({
    name: 'keel.review.decided.v1',
    eventType: 'keel.events.v1.ReviewDecided',
    codec: ReviewDecided,
    partitionKey: (event) => `${event.tenantId}:${event.reviewId}`,
    tenantOf: (event) => event.tenantId,
    partitions: 3,
  }),
} as const;

export type TopicName = keyof typeof topics;

/** The payload type a topic carries. */
export type TopicPayload<N extends TopicName> = (typeof topics)[N] extends TopicDefinition<infer T> ? T : never;

export const topicNames = Object.keys(topics) as TopicName[];

/** Dead letters of `topic` go to `<topic>.dlq`. */
export function deadLetterTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

export function isTopicName(name: string): name is TopicName {
  return Object.hasOwn(topics, name);
}
