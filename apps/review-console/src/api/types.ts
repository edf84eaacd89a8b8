/**
 * The JSON of human-review's HTTP API (the console contract of issue 7). Kept by hand beside the
 * client: the console speaks HTTP only and imports nothing of the node libraries.
 */

export type Role = 'reviewer' | 'lead' | 'admin';

export interface Account {
  id: string;
  tenantId: string;
  username: string;
  displayName: string;
  roles: Role[];
  groups: string[];
  disabled: boolean;
  createdAt: string;
  lastSignInAt: string | null;
}

export interface Session {
  account: Account;
  csrfToken: string;
  expiresAt: string;
}

export interface NewAccount {
  username: string;
  displayName?: string;
  password: string;
  roles: Role[];
  groups?: string[];
}

export interface AccountChanges {
  displayName?: string;
  roles?: Role[];
  groups?: string[];
  disabled?: boolean;
  password?: string;
}

export interface RubricScore {
  key: string;
  label: string;
  min: number;
  max: number;
}

export interface RubricCategory {
  key: string;
  label: string;
  options: string[];
}

export interface Rubric {
  scores: RubricScore[];
  categories: RubricCategory[];
  notes: boolean;
}

export interface QueueCounts {
  pending: number;
  claimed: number;
  breached: number;
  decidedToday: number;
}

export interface QueueMatch {
  reasons?: string[];
  maxScore?: number;
  requestedBy?: string[];
}

export interface Queue {
  id: string;
  tenantId: string;
  name: string;
  description: string;
  match: QueueMatch;
  order: number;
  basePriority: number;
  slaMinutes: number;
  reviewersPerItem: number;
  rubric: Rubric;
  counts?: QueueCounts;
}

/** What an admin sends to create or replace a queue. */
export type QueueInput = Omit<Queue, 'tenantId' | 'counts'>;

export type ReviewStatus = 'pending' | 'claimed' | 'decided';
export type DecisionOutcome = 'approved' | 'rejected' | 'corrected';

/** A citation as the answer carried it; `marker` is the answer's `[n]` (0 when it has none). */
export interface Citation {
  documentId: string;
  documentVersion?: string;
  chunkId: string;
  title?: string;
  source?: string;
  startOffset?: number;
  endOffset?: number;
  score?: number;
  quote?: string;
  marker?: number;
}

/** A retrieved passage the model was given. */
export interface ContextChunk {
  chunkId: string;
  documentId: string;
  documentVersion?: string;
  text: string;
  score?: number;
  aclGroups?: string[];
}

export interface RubricAnswers {
  scores?: Record<string, number>;
  categories?: Record<string, string>;
  notes?: string;
}

export interface Decision {
  outcome: DecisionOutcome;
  correctedAnswer: string | null;
  comment: string | null;
  reviewer: string;
  decidedAt: string;
  rubric?: RubricAnswers | null;
}

export interface ReviewItem {
  id: string;
  requestId: string;
  traceId: string;
  reason: string;
  detail: string;
  question: string;
  answer: string;
  citations: Citation[];
  contexts: ContextChunk[];
  readRequires?: { anyOf: string[] }[];
  missing?: ('question' | 'answer')[];
  score: number;
  requestedBy: string;
  requestedAt: string | null;
  status: ReviewStatus;
  claimedBy: string | null;
  leaseExpiresAt: string | null;
  decision: Decision | null;
  decisions?: Decision[];
  queueId?: string;
  priority?: number;
  dueAt?: string | null;
  slaBreached?: boolean;
  reviewersRequired?: number;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

export interface ReviewFilter {
  status?: ReviewStatus;
  queueId?: string;
  reason?: string;
  limit?: number;
  cursor?: string;
}

export interface DecisionInput {
  outcome: DecisionOutcome;
  correctedAnswer?: string;
  comment?: string;
  rubric?: RubricAnswers;
}

export interface ReviewComment {
  id: string;
  author: string;
  text: string;
  createdAt: string;
}

export interface ContextScore {
  name: string;
  value: number;
  /** The review threshold, on the metric evaluation holds answers to (groundedness). */
  threshold?: number;
  unit?: string;
  explanation?: string;
}

export interface ClaimVerdict {
  claim: string;
  supported: boolean;
  citedChunkIds: string[];
  support?: number;
  [extra: string]: unknown;
}

export interface PolicyFinding {
  /** `input`, `document` or `output`. */
  stage: string;
  type: string;
  /** Offsets in the stage's text; null when the policy event carried the type but no span. */
  start: number | null;
  end: number | null;
  /** allow, redact, block or escalate (any case). */
  action: string;
  rule?: string;
}

/** One policy decision on the answer's request, input before output. */
export interface PolicyDecisionView {
  decisionId: string;
  stage: string;
  decision: string;
  reason: string;
  policyVersion: string;
  rulesFired: string[];
  findingTypes: string[];
  findingCount: number;
  decidedBy: string;
  decidedAt: string | null;
}

export interface ItemContext {
  requestId?: string;
  scores: ContextScore[];
  verdicts: ClaimVerdict[];
  /** Null until the evaluation has arrived. */
  passed?: boolean | null;
  evaluatorVersion?: string | null;
  scoredAt?: string | null;
  findings: PolicyFinding[];
  decisions?: PolicyDecisionView[];
  policyVersion: string | null;
  lineageUrl: string | null;
}

/** Evaluation's lineage document, proxied as is: the console renders what it finds. */
export type Lineage = Record<string, unknown>;

export interface Progress {
  decidedToday: number;
  decidedThisWeek: number;
  claimed: string[];
  queues: { queueId: string; pending: number; breached: number }[];
}

export interface Agreement {
  queueId: string;
  items: number;
  alpha: number | null;
  byRubric: Record<string, number | null>;
}

export interface BulkRequest {
  filter: { queueId?: string; status?: ReviewStatus; reason?: string; ids?: string[] };
  action: 'release' | 'set-priority' | 'move' | 'reject';
  priority?: number;
  queueId?: string;
  comment?: string;
  expectedCount: number;
}

export interface BulkResult {
  matched: number;
  changed: number;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  reviewId: string | null;
  queueId: string | null;
  detail: unknown;
}

export interface AuditFilter {
  reviewId?: string;
  actor?: string;
  action?: string;
  limit?: number;
  cursor?: string;
}

/** A problem+json error body. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: unknown;
  code?: string;
  errors?: { field: string; message: string }[];
  /** On 409 REVIEW.ALREADY_DECIDED: the decision that stands. */
  decision?: Decision;
  [extra: string]: unknown;
}
