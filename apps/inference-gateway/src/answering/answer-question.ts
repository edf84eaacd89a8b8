/**
 * The answer-question use case, shared by `/v1/answers`, `/v1/chat/completions` and gRPC
 * `keel.inference.v1.Inference/Answer`:
 *  1. policy checks the question and every earlier message of the conversation, each on its own
 *     (BLOCK of any → POLICY.BLOCKED: 422, gRPC FAILED_PRECONDITION; REDACT → each message goes on
 *     redacted; ESCALATE → goes on, flagged);
 *  2. retrieval searches the tenant's chunks the caller may read;
 *  2b. policy checks the passages before the model sees them (indirect prompt injection): a
 *     passage with a finding is dropped or redacted as the policy decided (guardrails/passage-guard.ts);
 *  3. the model answers from them, citing [1..n];
 *  4. policy checks the answer with its contexts (REDACT → redacted answer; BLOCK → a refusal,
 *     no citations; ESCALATE → served, flagged);
 *  5. `keel.inference.completed.v1` records what was served.
 * A blocked question is not an answer: no completion event (the policy decision is audited).
 * When policy cannot be reached, the tenant's failure mode decides (guardrails/fail-safe-policy-gate.ts):
 * closed → 503 (an answer already generated is recorded with `POLICY.UNAVAILABLE`), open → served
 * unchecked with `policyStatus: unavailable-fail-open`.
 *
 * The answer is derived from the passages, so it is only for readers of all of them: the output
 * check and the completion event carry `readRequires`, one requirement per restricted passage,
 * which the policy copies onto an escalation's review and evaluation onto its records.
 */

import type { EventPublisher } from '@keel/event-bus';
import { type ChatRequest, type ChatResponse, type GroundingContext, isProviderError } from '@keel/models';
import { currentTraceId, type Logger, readRequirementsOf, type Violation, validationError } from '@keel/platform';
import { isBlankText } from '@keel/text';
import { modelCallErrorOf, modelErrorCodeOf } from '../generation/model-errors.js';
import { checkConversation, messageBlocked } from '../guardrails/conversation-guard.js';
import type { OutputWindowOptions } from '../guardrails/output-window.js';
import { guardPassages } from '../guardrails/passage-guard.js';
import { isPolicyUnavailable, policyStatusOf } from '../guardrails/policy-status.js';
import type { Answer, AnswerRequest, PolicyStageOutcome } from './answer.js';
import { blockedAnswerText, questionBlocked } from './answer-errors.js';
import { maxQuestionLength, maxTopK } from './answer-limits.js';
import { citationsOf } from './citations.js';
import { completionEventOf } from './completion-event.js';
import { type AnswerStreamSink, streamGroundedAnswer } from './grounded-stream.js';
import type { ModelCaller, ObserveModelCall } from './model-call.js';
import type { PolicyGate, PolicyVerdict } from './policy-gate.js';
import type { Retriever } from './retriever.js';

/**
 * With `sink` and a model that streams, the answer's text goes to the sink through the held-back
 * window as it is generated; otherwise the caller streams the whole answer. Either way the
 * returned Answer is the whole one, checked.
 */
export type AnswerQuestion = (request: AnswerRequest, sink?: AnswerStreamSink) => Promise<Answer>;

export interface AnswerQuestionDeps {
  policy: PolicyGate;
  retriever: Retriever;
  callModel: ModelCaller;
  /** Only `publish` of @keel/event-bus' EventPublisher is needed. */
  events: Pick<EventPublisher, 'publish'>;
  logger: Logger;
  now?: () => Date;
  /** The span and GenAI metrics of a streamed model call (the observed `callModel` covers the rest). */
  observeModelCall?: ObserveModelCall;
  /** The held-back window of streamed answers. */
  outputWindow?: OutputWindowOptions;
}

export function createAnswerQuestion(deps: AnswerQuestionDeps): AnswerQuestion {
  const now = deps.now ?? (() => new Date());

  /** Provisional checks of the window; the passages were checked already, so they are not sent again. */
  const streamGrounded = (request: AnswerRequest, chatRequest: ChatRequest, sink: AnswerStreamSink) => {
    const run = () =>
      streamGroundedAnswer(request.model, chatRequest, {
        sink,
        window: deps.outputWindow,
        check: (text) =>
          deps.policy.check({
            tenantId: request.tenantId,
            stage: 'output',
            text,
            contexts: [],
            requestId: request.requestId,
            readRequires: [],
            audit: false,
          }),
      });
    return deps.observeModelCall
      ? deps.observeModelCall(request.model.descriptor, run, (result) => ({
          usage: result.usage,
          finishReason: result.finishReason,
          attempts: result.attempts ?? 1,
        }))
      : run();
  };

  return async (request, sink?: AnswerStreamSink) => {
    const startedAt = performance.now();
    // Each edge names the field its callers know (`messages[2].content`); this is the backstop.
    assertAnswerable(request);
    const conversation = request.conversation ?? [];
    const questionIndex = request.messageIndexes?.question ?? conversation.length;
    const checked = await checkConversation(deps.policy, {
      tenantId: request.tenantId,
      requestId: request.requestId,
      parts: [
        ...conversation.map((message, index) => ({
          message: request.messageIndexes?.conversation[index] ?? index,
          path: 'content',
          text: message.content,
        })),
        { message: questionIndex, path: 'content', text: request.question },
      ],
    });
    const input = checked.verdicts.at(-1) as PolicyVerdict;
    if (checked.blocked) {
      throw checked.blocked.message === questionIndex
        ? questionBlocked(input)
        : messageBlocked(checked.worst as PolicyVerdict, checked.blocked);
    }
    const question = input.text;
    // Each earlier message goes on as policy left it (redacted where it found something).
    const history = conversation.map((message, index) => ({
      ...message,
      content: checked.verdicts[index]?.text ?? message.content,
    }));
    const inputOutcome = outcomeOf(checked.worst ?? input);

    const retrieved = await deps.retriever.search({
      tenantId: request.tenantId,
      query: question,
      topK: request.topK,
      aclGroups: request.aclGroups,
      filters: request.filters,
    });
    const guarded = await guardPassages(deps.policy, {
      tenantId: request.tenantId,
      requestId: request.requestId,
      passages: retrieved,
    });
    // From here on the passages are what the model sees: dropped ones are gone, redacted ones redacted.
    const passages = guarded.passages;
    const guardrails = {
      inputFindings: checked.findings,
      ...(guarded.withheld.length > 0 ? { withheldPassages: guarded.withheld } : {}),
    };
    const passagesOutcome = guarded.verdict ? { passages: outcomeOf(guarded.verdict) } : {};
    const readRequires = readRequirementsOf(passages.map((passage) => passage.aclGroups));
    // Every outcome of this request, served or failed, is published with the same envelope.
    const publish = (outcome: { answer: Answer; error?: { code: string; message: string } }) =>
      publishCompletion(deps, {
        ...outcome,
        tenantId: request.tenantId,
        subject: request.subject,
        endpoint: request.endpoint,
        requestedModel: request.model.descriptor.id,
        question,
        passages,
        readRequires,
        traceId: currentTraceId() ?? '',
        completedAt: now(),
      });
    const contexts: GroundingContext[] = passages.map((passage, index) => ({
      marker: index + 1,
      chunkId: passage.chunkId,
      documentId: passage.documentId,
      title: passage.title,
      text: passage.text,
    }));

    const { descriptor } = request.model;
    let completion: ChatResponse;
    let blockedInFlight = false;
    const chatRequest = {
      model: descriptor.id,
      messages: [...history, { role: 'user' as const, content: question }],
      contexts,
      ...(request.maxTokens ? { maxTokens: request.maxTokens } : {}),
    };
    try {
      if (sink && request.model.stream) {
        sink.open({
          withheldPassages: guarded.withheld,
          policyStatus: policyStatusOf([...checked.verdicts, guarded.verdict]),
        });
        const streamed = await streamGrounded(request, chatRequest, sink);
        blockedInFlight = streamed.blockedInFlight;
        completion = streamed;
      } else {
        completion = await deps.callModel(request.model, chatRequest);
      }
    } catch (error) {
      if (!isProviderError(error)) throw error;
      // A provider that failed (after its retries) is recorded too: the event says why and how often it was tried.
      await publish({
        answer: {
          id: request.requestId,
          answer: '',
          citations: [],
          model: descriptor.id,
          // A routed model: the provider that failed last.
          provider: error.provider,
          usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
          finishReason: 'stop',
          policy: { input: inputOutcome, output: notChecked, ...passagesOutcome },
          ...guardrails,
          ...withPolicyStatus([...checked.verdicts, guarded.verdict]),
          flagged: checked.decision === 'ESCALATE',
          latencyMs: Math.round(performance.now() - startedAt),
          attempts: error.attempts,
        },
        error: { code: modelErrorCodeOf(error), message: error.message },
      });
      throw modelCallErrorOf(error);
    }

    let output: PolicyVerdict;
    try {
      output = await deps.policy.check({
        tenantId: request.tenantId,
        stage: 'output',
        text: completion.content,
        contexts: passages.map((passage) => passage.text),
        requestId: request.requestId,
        readRequires,
      });
    } catch (error) {
      if (!isPolicyUnavailable(error)) throw error;
      // The tenant fails closed: the answer exists (and cost tokens) but is not served; the event says why.
      await publish({
        answer: {
          id: request.requestId,
          answer: '',
          citations: [],
          model: completion.servedBy?.model ?? descriptor.id,
          provider: completion.servedBy?.provider ?? descriptor.provider,
          usage: usageOf(completion),
          finishReason: completion.finishReason,
          policy: { input: inputOutcome, output: notChecked, ...passagesOutcome },
          ...guardrails,
          policyStatus: 'unavailable-fail-closed',
          flagged: checked.decision === 'ESCALATE',
          latencyMs: Math.round(performance.now() - startedAt),
          attempts: completion.attempts ?? 1,
        },
        error: { code: 'POLICY.UNAVAILABLE', message: (error as Error).message },
      });
      throw error;
    }
    // A stream the window stopped is blocked whatever the whole answer's check says: it was cut.
    const blocked = output.decision === 'BLOCK' || blockedInFlight;
    // Quotes of an answer policy changed would repeat what it removed: cite the sources without them.
    const withQuotes = !blocked && output.text === completion.content;

    const answer: Answer = {
      id: request.requestId,
      answer: blocked ? blockedAnswerText : output.text,
      citations: blocked ? [] : citationsOf(completion, passages, { withQuotes }),
      // A routed model: the deployment that answered.
      model: completion.servedBy?.model ?? descriptor.id,
      provider: completion.servedBy?.provider ?? descriptor.provider,
      usage: usageOf(completion),
      finishReason: blocked ? 'content_filter' : completion.finishReason,
      policy: { input: inputOutcome, output: outcomeOf(output), ...passagesOutcome },
      ...guardrails,
      ...withPolicyStatus([...checked.verdicts, guarded.verdict, output]),
      flagged: checked.decision === 'ESCALATE' || output.decision === 'ESCALATE',
      latencyMs: Math.round(performance.now() - startedAt),
      attempts: completion.attempts ?? 1,
    };

    await publish({ answer });
    return answer;
  };
}

/**
 * A question nothing could answer (blank, or only invisible characters) or one past the limits is
 * refused before policy is asked: a check costs an audited decision, and retrieval would refuse it
 * anyway, after the fact.
 */
function assertAnswerable(request: AnswerRequest): void {
  const violations: Violation[] = [];
  if (isBlankText(request.question)) violations.push({ field: 'question', message: 'must not be empty' });
  else if (request.question.length > maxQuestionLength) {
    violations.push({ field: 'question', message: `must be at most ${maxQuestionLength} characters` });
  }
  if (!Number.isInteger(request.topK) || request.topK < 1 || request.topK > maxTopK) {
    violations.push({ field: 'topK', message: `must be between 1 and ${maxTopK}` });
  }
  if (violations.length > 0) throw validationError(violations);
}

const notChecked: PolicyStageOutcome = {
  decision: 'ALLOW',
  decisionId: '',
  reason: 'not checked: the model gave no answer',
  policyVersion: '',
  findingTypes: [],
};

function usageOf(completion: ChatResponse): Answer['usage'] {
  return {
    promptTokens: completion.usage.promptTokens,
    completionTokens: completion.usage.completionTokens,
    totalTokens: completion.usage.promptTokens + completion.usage.completionTokens,
    ...(completion.usage.cachedTokens === undefined ? {} : { cachedTokens: completion.usage.cachedTokens }),
    ...(completion.usage.reasoningTokens === undefined ? {} : { reasoningTokens: completion.usage.reasoningTokens }),
  };
}

function withPolicyStatus(verdicts: Iterable<PolicyVerdict | undefined>): Pick<Answer, 'policyStatus'> {
  const policyStatus = policyStatusOf(verdicts);
  return policyStatus ? { policyStatus } : {};
}

function outcomeOf(verdict: PolicyVerdict): PolicyStageOutcome {
  return {
    decision: verdict.decision,
    decisionId: verdict.decisionId,
    reason: verdict.reason,
    policyVersion: verdict.policyVersion,
    findingTypes: verdict.findingTypes,
  };
}

/**
 * The answer is complete and checked when this runs: a bus that cannot take the event costs the
 * evaluation one sample, which is logged, not the caller an answer. (Kafka's producer retries
 * before this gives up; policy decisions, unlike this, are audited fail-closed.)
 */
async function publishCompletion(
  deps: AnswerQuestionDeps,
  input: Parameters<typeof completionEventOf>[0],
): Promise<void> {
  try {
    await deps.events.publish('keel.inference.completed.v1', completionEventOf(input), {
      idempotencyKey: input.answer.id,
    });
  } catch (error) {
    deps.logger.error(
      { err: error, request_id: input.answer.id, tenant_id: input.tenantId },
      'keel.inference.completed.v1 could not be published',
    );
  }
}
