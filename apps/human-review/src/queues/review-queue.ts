/**
 * A review queue (collection `review_queues`): where a tenant's items of one kind wait, how
 * urgent they are (base priority, SLA), how many reviewers decide each, and the rubric they fill
 * in. Every tenant has the queue `default`, created on first use, which takes every item no other
 * queue's `match` accepts.
 */
import type { CollectionOptions } from '@keel/doc-store';

export const QUEUES_COLLECTION = 'review_queues';

export const queuesCollectionOptions: CollectionOptions = {
  indexes: [{ fields: ['tenantId', 'order'] }],
};

export const DEFAULT_QUEUE_ID = 'default';

/** What the default queue starts with; an admin may change everything but its id. */
export const DEFAULT_QUEUE_SETTINGS = {
  name: 'Default',
  description: 'Every item no other queue takes.',
  basePriority: 50,
  slaMinutes: 24 * 60,
  reviewersPerItem: 1,
} as const;

export const QUEUE_LIMITS = {
  idChars: 64,
  nameChars: 200,
  descriptionChars: 2_000,
  queuesPerTenant: 100,
  matchReasons: 5,
  matchRequesters: 50,
  requesterChars: 128,
  maxOrder: 1_000_000,
  maxSlaMinutes: 525_600,
  maxReviewersPerItem: 5,
  rubricScores: 20,
  rubricCategories: 20,
  rubricOptions: 50,
  rubricKeyChars: 64,
  rubricLabelChars: 200,
  rubricNotesChars: 8_192,
} as const;

export type RubricScore = { key: string; label: string; min: number; max: number };
export type RubricCategory = { key: string; label: string; options: string[] };
export type Rubric = { scores: RubricScore[]; categories: RubricCategory[]; notes: boolean };

export type QueueMatch = {
  reasons?: string[];
  /** Items scored at most this (evaluation's low scores). */
  maxScore?: number;
  requestedBy?: string[];
};

/** What an admin sets; the rest of a queue record is the service's. */
export type QueueSettings = {
  name: string;
  description: string;
  match: QueueMatch;
  order: number;
  basePriority: number;
  slaMinutes: number;
  reviewersPerItem: number;
  rubric: Rubric;
};

// Type alias, not interface: the store's `Collection<T>` needs T's implicit index signature.
export type QueueRecord = QueueSettings & {
  /** queueRecordId(tenantId, queueId): queue ids are per tenant. */
  id: string;
  queueId: string;
  tenantId: string;
  createdAt: number;
  updatedAt: number;
};

export const EMPTY_RUBRIC: Rubric = { scores: [], categories: [], notes: false };

export function queueRecordId(tenantId: string, queueId: string): string {
  return `${tenantId.length}:${tenantId}:${queueId}`;
}

export function defaultQueue(tenantId: string, now: number): QueueRecord {
  return {
    id: queueRecordId(tenantId, DEFAULT_QUEUE_ID),
    queueId: DEFAULT_QUEUE_ID,
    tenantId,
    ...DEFAULT_QUEUE_SETTINGS,
    match: {},
    // Last: the default takes what no other queue matches, whatever order it is given.
    order: QUEUE_LIMITS.maxOrder,
    rubric: EMPTY_RUBRIC,
    createdAt: now,
    updatedAt: now,
  };
}
