/**
 * A review item (collection `reviews`): one answer a person should look at. Its id is the
 * request's review id, so a redelivered or repeated request finds the item instead of queueing
 * it twice. State moves pending → claimed (a lease held by one reviewer) → decided; a claim whose
 * lease ran out counts as pending again without anyone having to write that down.
 */
import type { Citation } from '@keel/contracts/common/v1';
import type { ContextChunk } from '@keel/contracts/events/v1/inference';
import type { CollectionOptions } from '@keel/doc-store';
import type { GroupRequirement } from '@keel/platform';
import { isBlankText } from '@keel/text/checks';

export const REVIEWS_COLLECTION = 'reviews';

export const reviewsCollectionOptions: CollectionOptions = {
  indexes: [
    { fields: ['tenantId', 'status', 'createdAt'] },
    { fields: ['tenantId', 'requestId'] },
    // Claim next: a queue's open items in work order (`rank`), and the same across queues.
    { fields: ['tenantId', 'queueId', 'status', 'rank'] },
    { fields: ['tenantId', 'status', 'rank'] },
    // The SLA sweep: open items past their due time, not yet marked.
    { fields: ['status', 'slaBreachedAt', 'dueAt'] },
    // Agreement: a queue's items decided by several reviewers.
    { fields: ['tenantId', 'queueId', 'decisionCount'] },
    // Adoption of items from before queues (queueId absent), which every sweep looks for.
    { fields: ['queueId'] },
  ],
};

/** The longest lease a reviewer may hold: a day. */
export const MAX_LEASE_SECONDS = 86_400;

export type ReviewStatus = 'pending' | 'claimed' | 'decided';
export type DecisionOutcome = 'approved' | 'rejected' | 'corrected';
/** Why an item was queued: the request's reason without its `REVIEW_REASON_` prefix. */
export const REVIEW_REASON_NAMES = ['LOW_SCORE', 'POLICY_ESCALATION', 'USER_FEEDBACK', 'DRIFT', 'UNSPECIFIED'] as const;
export type ReviewReasonName = (typeof REVIEW_REASON_NAMES)[number];

/** Stored as the request carried them: the wire types, so a new contract field is kept, not dropped. */
export type ReviewCitation = Citation;
export type ReviewContext = ContextChunk;

/** A reviewer's answers to the item's queue rubric (validated against it: queues/rubric.ts). */
export type RubricAnswers = {
  scores?: Record<string, number>;
  categories?: Record<string, string>;
  notes?: string;
};

export type ReviewDecision = {
  outcome: DecisionOutcome;
  /** Set when the outcome is `corrected`. */
  correctedAnswer: string | null;
  comment: string | null;
  /** The name of the person who decided (reviewer.ts). */
  reviewer: string;
  decidedAt: number;
  /** Absent on decisions made before queues had rubrics, and when the queue has none. */
  rubric?: RubricAnswers | null;
};

/** A reviewer passing an item on (queues: claim next leaves it to others for an hour). */
export type ReviewSkip = { reviewer: string; reason: string; at: number };

// Type aliases, not interfaces: the store's `Collection<T>` needs T's implicit index signature.
export type ReviewItem = {
  id: string;
  tenantId: string;
  requestId: string;
  /** The trace of the answer under review, so the decision can be joined to it. */
  traceId: string;
  reason: ReviewReasonName;
  detail: string;
  question: string;
  answer: string;
  citations: ReviewCitation[];
  contexts: ReviewContext[];
  /**
   * Who may read the item: the request's requirements combined with those of its contexts' ACL
   * groups (and, once completed, the exchange's). Empty: the whole tenant. Absent on items stored
   * before reads were checked, which the whole tenant could already read.
   */
  readRequires?: GroupRequirement[];
  /**
   * `readRequires` as one comparable value: every conditional write is made on the condition that
   * it is unchanged since the caller's access was checked, so an item that became restricted in
   * between (an exchange completed it) is never claimed or decided by someone who may not read it.
   */
  readRequiresKey?: string;
  score: number;
  requestedBy: string;
  requestedAt: number | null;
  status: ReviewStatus;
  /** The name of the reviewer holding (or last holding) the lease. */
  claimedBy: string | null;
  /** Epoch milliseconds; meaningful while `status` is `claimed`. */
  leaseExpiresAt: number | null;
  decision: ReviewDecision | null;
  /**
   * When `keel.review.decided.v1` went out. Null between the decision and the publish: the
   * reviewer's retry of the same decision publishes then; once set, a retry publishes nothing.
   */
  decisionPublishedAt: number | null;
  createdAt: number;
  updatedAt: number;
  // Queues (src/queues/). Absent on items stored before queues existed: the start adopts them
  // into `default` (queues/adopt-legacy-items.ts) and the view reads them as such meanwhile.
  /** The queue the item is worked in. */
  queueId?: string;
  /** 0-100, the queue's base priority, raised on an SLA breach or by a lead. */
  priority?: number;
  /** Epoch ms: createdAt + the queue's SLA. */
  dueAt?: number;
  /** Set once, when the sweep (or a read) found the item open past `dueAt`. */
  slaBreachedAt?: number | null;
  /** Claim-next order in one comparable value: priority desc, dueAt asc, createdAt asc (queues/queue-rank.ts). */
  rank?: string;
  /** How many distinct reviewers must decide before the decision stands (the queue's reviewersPerItem). */
  reviewersRequired?: number;
  /** Every reviewer's decision, in order; `decision` is the standing one once the item is decided. */
  decisions?: ReviewDecision[];
  /** decisions.length, queryable (agreement reads items with two or more). */
  decisionCount?: number;
  /** Epoch ms of the standing decision: "decided today" counts. */
  decidedAt?: number | null;
  /** Recent skips (the last SKIPS_KEPT): claim next passes an item its skipper skipped in the last hour. */
  skips?: ReviewSkip[];
};

/** Every decision of the item; items decided before `decisions` existed have their one. */
export function decisionsOf(item: Pick<ReviewItem, 'decisions' | 'decision'>): ReviewDecision[] {
  return item.decisions ?? (item.decision ? [item.decision] : []);
}

/** The status a reader sees: a claim whose lease ran out is pending again. */
export function effectiveStatus(item: ReviewItem, now: number): ReviewStatus {
  if (item.status === 'claimed' && (item.leaseExpiresAt ?? 0) <= now) return 'pending';
  return item.status;
}

/** The reviewer holding a live lease, if any. */
export function leaseHolder(item: ReviewItem, now: number): string | null {
  return effectiveStatus(item, now) === 'claimed' ? item.claimedBy : null;
}

/** Which half of the exchange a review item lacks. */
export type ExchangeHalf = 'question' | 'answer';

/** What a person would see as nothing (`isBlankText`: invisible characters count as none). */
export function isBlank(text: string | undefined | null): boolean {
  return text === undefined || text === null || isBlankText(text);
}

/**
 * The halves of the exchange the item does not hold: an escalation of the question alone has no
 * answer yet, one of the answer alone no question, until the completed exchange fills them in.
 */
export function missingHalves(item: Pick<ReviewItem, 'question' | 'answer'>): ExchangeHalf[] {
  const missing: ExchangeHalf[] = [];
  if (isBlank(item.question)) missing.push('question');
  if (isBlank(item.answer)) missing.push('answer');
  return missing;
}

/** The stored comparable form of a list of requirements (canonical, so equal lists compare equal). */
export function readRequiresKeyOf(requirements: readonly GroupRequirement[]): string {
  return JSON.stringify(requirements.map((requirement) => requirement.anyOf));
}
