/**
 * The review a policy escalation asks for, `keel.review.requested.v1`, built the same way whoever
 * decided: the policy service (Check) or a process evaluating in process (the gateway). The review
 * id is a name-based UUID of tenant, request and stage, so a request escalated by either (or by
 * both, or retried) queues one review.
 */
import { createHash } from 'node:crypto';
import type { ReviewRequested } from '@keel/contracts/events/v1/review';
import { ReviewReason } from '@keel/contracts/review/v1';
import type { Stage } from './decision.js';

// Review ids of policy escalations live in their own UUID namespace (RFC 9562 v5). Changing it
// would give a retried or redelivered escalation a second review.
export const POLICY_REVIEW_ID_NAMESPACE = '4f0c2a51-8d1e-4c67-9a0b-6a3c1f9e2d7b';

/**
 * Name-based UUIDs (RFC 9562 version 5): equal names give equal ids. Built on node:crypto rather
 * than the uuid package, whose hoisted copy in this workspace is not the version the contracts declare.
 */
export function nameBasedUuid(name: string, namespace: string): string {
  const namespaceBytes = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (namespaceBytes.length !== 16) throw new Error(`not a UUID namespace: ${namespace}`);
  const bytes = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The review id of an escalation: deterministic per tenant, request and stage, so a retried check
 * does not queue a second review. Without a request id, pass the decision id.
 */
export function policyReviewIdOf(tenantId: string, requestId: string, stage: Stage): string {
  return nameBasedUuid(`${tenantId}\n${requestId}\n${stage}\npolicy-escalation`, POLICY_REVIEW_ID_NAMESPACE);
}

export interface PolicyReviewInput {
  decisionId: string;
  tenantId: string;
  /** May be empty: the review id is then named by the decision id. */
  requestId: string;
  stage: Stage;
  /** The decision's reason: the review's detail. */
  reason: string;
  /** The text as the caller goes on to use it (redacted): the question (input) or answer (output). */
  text: string;
  /** Who may read the text, and so the review. */
  readRequires: readonly { anyOf: readonly string[] }[];
  /** The trace of the decision; empty when there is none. */
  traceId: string;
  /** Epoch milliseconds. */
  decidedAt: number;
}

/** The `keel.review.requested.v1` payload of an ESCALATE (publish it with `reviewId` as idempotency key). */
export function policyReviewRequestOf(input: PolicyReviewInput): ReviewRequested {
  return {
    reviewId: policyReviewIdOf(input.tenantId, input.requestId || input.decisionId, input.stage),
    tenantId: input.tenantId,
    requestId: input.requestId,
    traceId: input.traceId,
    reason: ReviewReason.REVIEW_REASON_POLICY_ESCALATION,
    detail: input.reason,
    question: input.stage === 'input' ? input.text : '',
    answer: input.stage === 'output' ? input.text : '',
    citations: [],
    // No contexts: a check carries their texts only, not the chunks' ids and ACL groups, and a
    // context without its groups could not be guarded. Human review fills the whole exchange
    // (question, answer, citations and contexts with their groups) from the request's
    // keel.inference.completed.v1; this request is what the policy saw and decided.
    contexts: [],
    score: 0,
    // The policy decided, wherever it ran: reviewers and evaluation see one kind of escalation.
    requestedBy: 'policy',
    requestedAt: new Date(input.decidedAt),
    readRequires: input.readRequires.map((requirement) => ({ anyOf: [...requirement.anyOf] })),
  };
}
