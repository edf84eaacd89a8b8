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
  indexes: [{ fields: ['tenantId', 'status', 'createdAt'] }, { fields: ['tenantId', 'requestId'] }],
};

/** The longest lease a reviewer may hold: a day. */
export const MAX_LEASE_SECONDS = 86_400;

export type ReviewStatus = 'pending' | 'claimed' | 'decided';
export type DecisionOutcome = 'approved' | 'rejected' | 'corrected';
export type ReviewReasonName = 'LOW_SCORE' | 'POLICY_ESCALATION' | 'USER_FEEDBACK' | 'UNSPECIFIED';

/** Stored as the request carried them: the wire types, so a new contract field is kept, not dropped. */
export type ReviewCitation = Citation;
export type ReviewContext = ContextChunk;

export type ReviewDecision = {
  outcome: DecisionOutcome;
  /** Set when the outcome is `corrected`. */
  correctedAnswer: string | null;
  comment: string | null;
  /** The name of the person who decided (reviewer.ts). */
  reviewer: string;
  decidedAt: number;
};

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
};

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
