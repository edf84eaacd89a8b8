/**
 * One fact about one answered request, kept to explain it later (collection `lineage_entries`):
 * its completion, a policy decision, its evaluation or a reviewer's decision. Each comes from its
 * own event, and events of different topics arrive in any order, so nothing is merged on write:
 * every fact is its own document and the view is assembled on read (`answer-lineage.ts`).
 *
 * The id is derived from (tenant, kind, natural key): the request id for a completion and an
 * evaluation (one each per request), the decision id for a policy decision, the review id for a
 * review decision. A redelivered event, and one republished under a new event id after a
 * producer crash, land on the same id and are counted once.
 */
import { createHash } from 'node:crypto';
import type { CollectionOptions } from '@keel/doc-store';
import type { GroupRequirement } from '@keel/platform';

export const LINEAGE_COLLECTION = 'lineage_entries';

export const lineageCollectionOptions: CollectionOptions = {
  indexes: [{ fields: ['tenantId', 'requestId', 'at'] }],
};

/**
 * The most facts one request keeps. Real requests have a handful (a completion, up to three policy
 * decisions, an evaluation, a few reviews); an event beyond it is dead-lettered, so a producer
 * reusing one request id cannot grow a view without bound.
 */
export const MAX_ENTRIES_PER_REQUEST = 200;

/** Stored text that only explains (citation titles and quotes, reasons): cut to this length. */
export const EXPLANATION_LENGTH = 1_024;

/** A citation's source (a path or URL): far longer than any real one, so kept whole in practice. */
export const SOURCE_LENGTH = 4_096;

export type LineageKind = 'completion' | 'policy' | 'evaluation' | 'review';

export type CompletionFact = {
  endpoint: string;
  model: string;
  provider: string;
  question: string;
  answer: string;
  usage: {
    promptTokens: number;
    completionTokens: number;
    totalTokens: number;
    cachedTokens: number | null;
    reasoningTokens: number | null;
  } | null;
  cost: number | null;
  currency: string | null;
  priced: boolean | null;
  cacheHit: boolean;
  latencyMs: number;
  attempts: number | null;
  streamed: boolean;
  errorCode: string | null;
  policyStatus: string | null;
  passagesDropped: number;
  passagesRedacted: number;
  citations: {
    marker: number;
    chunkId: string;
    documentId: string;
    documentVersion: string;
    title: string;
    source: string;
    quote: string;
    score: number;
  }[];
  /** What the model saw, without the text (the evaluation and the golden example keep that). */
  contexts: { chunkId: string; documentId: string; documentVersion: string; score: number }[];
  /** The outcomes the gateway reported; the decisions themselves arrive on their own topic. */
  policy: { stage: string; decision: string; decisionId: string; findingTypes: string[] }[];
};

export type PolicyFact = {
  decisionId: string;
  stage: string;
  decision: string;
  policyVersion: string;
  rulesFired: string[];
  findingTypes: string[];
  findingCount: number;
  reason: string;
  decidedBy: string;
};

export type EvaluationFact = {
  scores: { metric: string; value: number; explanation: string; unit?: string }[];
  verdicts: { claim: string; supported: boolean; supportingChunkId: string; support: number }[];
  threshold: number;
  passed: boolean;
  evaluatorVersion: string;
};

export type ReviewFact = {
  reviewId: string;
  outcome: 'approved' | 'rejected' | 'corrected';
  reviewer: string;
  comment: string;
  question: string;
  originalAnswer: string;
  correctedAnswer: string;
};

// Type aliases, not interfaces: the store's `Collection<T>` needs T's implicit index signature.
type EntryBase = {
  id: string;
  tenantId: string;
  requestId: string;
  /** The natural key: request, decision or review id. */
  key: string;
  /** The event that brought it first (later copies are ignored). */
  eventId: string;
  traceId: string;
  /** Epoch milliseconds: when it happened (the event's own time), else when it arrived. */
  at: number;
  receivedAt: number;
  /** Who may read what this fact quotes; the view needs every entry's. Empty: the whole tenant. */
  readRequires: GroupRequirement[];
};

export type LineageEntry =
  | (EntryBase & { kind: 'completion'; completion: CompletionFact })
  | (EntryBase & { kind: 'policy'; policy: PolicyFact })
  | (EntryBase & { kind: 'evaluation'; evaluation: EvaluationFact })
  | (EntryBase & { kind: 'review'; review: ReviewFact });

export function lineageEntryId(tenantId: string, kind: LineageKind, key: string): string {
  return createHash('sha256').update(`keel-lineage\0${tenantId}\0${kind}\0${key}`).digest('hex');
}

export function clip(text: string, length = EXPLANATION_LENGTH): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}
