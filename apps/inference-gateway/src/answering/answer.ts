/** What answering takes and gives, independent of the HTTP shape each endpoint uses. */
import type { ChatMessage, ChatModel } from '@keel/models';
import type { MessageFinding } from '../guardrails/conversation-guard.js';
import type { WithheldPassage } from '../guardrails/passage-guard.js';
import type { PolicyStatus } from '../guardrails/policy-status.js';
import type { PolicyDecision } from './policy-gate.js';

/** Where the question came in: the HTTP route, or the gRPC method for internal callers. */
export type AnswerEndpoint = '/v1/answers' | '/v1/chat/completions' | 'keel.inference.v1.Inference/Answer';

export interface AnswerRequest {
  /** Unique per request: the response id, and the request id of every event and policy check. */
  requestId: string;
  endpoint: AnswerEndpoint;
  tenantId: string;
  /**
   * Who asks: the API key's subject (its configured name, or a digest of the key) on HTTP, the
   * calling service on gRPC (`service:<name>`). Recorded on the completion event.
   */
  subject: string;
  aclGroups: readonly string[];
  question: string;
  /** Earlier turns (system prompts, history) for a model that uses them; the question is appended. */
  conversation?: readonly ChatMessage[];
  /**
   * Where the conversation's messages and the question sit in the caller's request (chat
   * completions' `messages[i]`), so that policy findings and refusals name them; default: in order.
   */
  messageIndexes?: { conversation: readonly number[]; question: number };
  topK: number;
  filters: Readonly<Record<string, string>>;
  model: ChatModel;
  maxTokens?: number;
}

export interface Citation {
  /** The `[n]` the answer text uses. */
  marker: number;
  documentId: string;
  documentVersion: string;
  title: string;
  source: string;
  chunkId: string;
  startOffset: number;
  endOffset: number;
  score: number;
  /** The passage of the chunk the answer quotes; empty when the model cannot say or policy redacted the answer. */
  quote: string;
}

export interface PolicyStageOutcome {
  decision: PolicyDecision;
  decisionId: string;
  reason: string;
  policyVersion: string;
  findingTypes: string[];
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** When the provider reports them. */
  cachedTokens?: number;
  reasoningTokens?: number;
}

export interface Answer {
  id: string;
  answer: string;
  /** Only the contexts the answer cites, in order of first citation. */
  citations: Citation[];
  model: string;
  provider: string;
  usage: Usage;
  /** `content_filter` when output policy replaced the answer with a refusal. */
  finishReason: 'stop' | 'length' | 'content_filter';
  policy: { input: PolicyStageOutcome; output: PolicyStageOutcome; passages?: PolicyStageOutcome };
  /** The input findings of every checked message (conversation and question), with their offsets. */
  inputFindings?: MessageFinding[];
  /** Retrieved passages the model did not see as retrieved: dropped or redacted by policy. */
  withheldPassages?: WithheldPassage[];
  /** Set when a policy check could not be made and the tenant fails open (see guardrails/policy-status.ts). */
  policyStatus?: PolicyStatus;
  /** Policy escalated the question or the answer: served, but a person will look at it. */
  flagged: boolean;
  latencyMs: number;
  /** Upstream model calls, retries included. */
  attempts?: number;
}
