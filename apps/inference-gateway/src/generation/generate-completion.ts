/**
 * A chat completion by a provider model (`/v1/chat/completions` with a provider's model): the
 * request is passed through, nothing is retrieved. Policy still guards it:
 *  1. input: every message that carries text (system, user, assistant with its tool-call
 *     arguments, tool) is checked on its own (concurrently) before the call; BLOCK refuses the
 *     request (400 `content_policy_violation`, `param` naming the message), REDACT sends each
 *     message redacted where policy found something (guardrails/conversation-guard.ts);
 *  2. the provider answers (retries and timeouts are the model's: see @keel/models withRetries);
 *  3. output: the answer's text and each tool call's arguments are checked; REDACT serves the
 *     redacted text (arguments only if they stay JSON, else the answer is blocked), BLOCK a refusal
 *     with `finish_reason: content_filter` and no tool calls. A stream releases its text through a
 *     held-back window (guardrails/output-window.ts): deltas are buffered to a sentence end, checked
 *     with the text before them, and released redacted; a BLOCK ends the stream with an error event
 *     and nothing more. Tool calls are held whole until the end, checked, and released (redacted)
 *     before the finish chunk; the whole answer's check is the decision of record;
 *  4. `keel.inference.completed.v1` records every request that reached the model, answered or
 *     failed (`error_code`), with attempts and tokens.
 */
import type { EventPublisher } from '@keel/event-bus';
import {
  type ChatModel,
  type ChatUsage,
  type FinishReason,
  type Generation,
  type GenerationMessage,
  type GenerationRequest,
  isProviderError,
  type ServedBy,
  type ToolCall,
} from '@keel/models';
import { currentTraceId, type Logger } from '@keel/platform';
import { isBlankText } from '@keel/text';
import { blockedAnswerText } from '../answering/answer-errors.js';
import type { InferenceCompletedPayload } from '../answering/completion-event.js';
import { createModelCallObserver, type ObserveModelCall } from '../answering/model-call.js';
import type { PolicyDecision, PolicyGate, PolicyVerdict } from '../answering/policy-gate.js';
import {
  checkConversation,
  conversationParts,
  type MessageFinding,
  messageBlocked,
  withRedactions,
} from '../guardrails/conversation-guard.js';
import type { OutputWindowOptions, WindowStats } from '../guardrails/output-window.js';
import { isPolicyUnavailable, type PolicyStatus, policyStatusOf } from '../guardrails/policy-status.js';
import { createStreamOutputGuard } from '../guardrails/stream-output-guard.js';
import { modelCallErrorOf, modelErrorCodeOf } from './model-errors.js';

export interface GenerateDeps {
  policy: PolicyGate;
  events: Pick<EventPublisher, 'publish'>;
  logger: Logger;
  now?: () => Date;
  /** The span and GenAI metrics of each model call (shared with grounded answers). */
  observeModelCall?: ObserveModelCall;
  /** The held-back window of streamed output (guardrails/output-window.ts defaults). */
  outputWindow?: OutputWindowOptions;
  /** Called with each stream's window figures: checks, time spent in them, text held back. */
  recordWindow?: (stats: WindowStats) => void;
}

export interface GenerateInput {
  requestId: string;
  tenantId: string;
  subject: string;
  model: ChatModel;
  request: GenerationRequest;
  signal?: AbortSignal;
}

export interface PolicySummary {
  input: PolicyDecision;
  output: PolicyDecision;
}

export interface GeneratedCompletion {
  generation: Generation;
  policy: PolicySummary;
  flagged: boolean;
  /** The input findings of every checked message, with their offsets. */
  inputFindings: MessageFinding[];
  /** Set when a check could not be made and the tenant fails open. */
  policyStatus?: PolicyStatus;
}

/** What a stream's end says beside the policy decisions. */
export interface StreamGuardrails {
  policyStatus?: PolicyStatus;
}

/** What a stream sends, in order; the route frames each as an SSE event. */
export interface CompletionSink {
  /**
   * The first event is about to be sent: headers go out now (failures before it are plain HTTP
   * errors); `policyStatus` when the input went unchecked (the tenant fails open).
   */
  open(policyStatus?: PolicyStatus): void;
  text(text: string): void;
  toolCall(delta: { index: number; id?: string; name?: string; arguments?: string }): void;
  /** The end, after the output check passed. */
  finish(
    finishReason: FinishReason,
    usage: ChatUsage,
    policy: PolicySummary,
    flagged: boolean,
    attempts: number,
    servedBy?: ServedBy,
    guardrails?: StreamGuardrails,
  ): void;
  /** The end of a failed or blocked stream: an error event, no `[DONE]`. */
  fail(error: { message: string; type: string; code: string }): void;
  /** Whether the client is gone. */
  readonly closed: boolean;
}

const severity: Record<PolicyDecision, number> = { ALLOW: 0, REDACT: 1, ESCALATE: 2, BLOCK: 3 };

export function createGenerateCompletion(deps: GenerateDeps) {
  const now = deps.now ?? (() => new Date());
  const observe = deps.observeModelCall ?? createModelCallObserver();

  /** Checks every message that carries text; returns the messages to send, each redacted where policy found something. */
  async function checkInput(input: GenerateInput) {
    const parts = conversationParts(input.request.messages);
    const checked = await checkConversation(deps.policy, {
      tenantId: input.tenantId,
      requestId: input.requestId,
      parts,
    });
    if (checked.blocked) throw messageBlocked(checked.worst as PolicyVerdict, checked.blocked);
    const redacted = new Map<string, string>();
    parts.forEach((part, index) => {
      const verdict = checked.verdicts[index];
      if (verdict && verdict.text !== part.text) redacted.set(`${part.message}/${part.path}`, verdict.text);
    });
    return {
      messages: input.request.messages.map((message, index) => withRedactions(message, index, redacted)),
      verdicts: checked.verdicts.filter((verdict): verdict is PolicyVerdict => !!verdict),
      decision: checked.decision,
      findings: checked.findings,
    };
  }

  function checkOutput(input: GenerateInput, text: string, audit = true): Promise<PolicyVerdict> {
    return deps.policy.check({
      tenantId: input.tenantId,
      stage: 'output',
      text,
      contexts: [],
      requestId: input.requestId,
      readRequires: [],
      ...(audit ? {} : { audit: false }),
    });
  }

  /**
   * The output check of a whole answer: its text, and each tool call's arguments (a tool call can
   * leak as much as text). A redaction of arguments is served only if they stay JSON; otherwise,
   * like a BLOCK of any part, the answer is blocked.
   */
  async function checkAnswer(input: GenerateInput, content: string | null, toolCalls: readonly ToolCall[]) {
    const [contentVerdict, callVerdicts] = await Promise.all([
      content && !isBlankText(content) ? checkOutput(input, content) : Promise.resolve(undefined),
      Promise.all(
        toolCalls.map((call) =>
          isBlankText(call.function.arguments)
            ? Promise.resolve(undefined)
            : checkOutput(input, call.function.arguments),
        ),
      ),
    ]);
    let blocked = contentVerdict?.decision === 'BLOCK';
    const calls = toolCalls.map((call, index) => {
      const verdict = callVerdicts[index];
      if (!verdict) return call;
      if (verdict.decision === 'BLOCK') blocked = true;
      if (verdict.text === call.function.arguments) return call;
      try {
        JSON.parse(verdict.text);
      } catch {
        blocked = true;
      }
      return { ...call, function: { ...call.function, arguments: verdict.text } };
    });
    const verdicts = [contentVerdict, ...callVerdicts].filter((verdict): verdict is PolicyVerdict => !!verdict);
    const worst = verdicts.reduce<PolicyDecision>(
      (decision, verdict) => (severity[verdict.decision] > severity[decision] ? verdict.decision : decision),
      'ALLOW',
    );
    return {
      blocked,
      decision: blocked ? ('BLOCK' as const) : worst,
      content: contentVerdict ? contentVerdict.text : content,
      toolCalls: calls,
      verdicts,
    };
  }

  async function publish(
    input: GenerateInput,
    record: {
      question: string;
      answer: string;
      usage: ChatUsage;
      attempts: number;
      startedAt: number;
      streamed: boolean;
      inputVerdicts: PolicyVerdict[];
      outputVerdicts?: PolicyVerdict[];
      error?: { code: string; message: string };
      /** The deployment that answered (a routed model), or the provider that failed last. */
      servedBy?: ServedBy | undefined;
      policyStatus?: PolicyStatus | undefined;
    },
  ): Promise<void> {
    const { descriptor } = input.model;
    const outcome = (stage: 'input' | 'output', verdict: PolicyVerdict) => ({
      stage,
      decision: verdict.decision,
      decisionId: verdict.decisionId,
      findingTypes: verdict.findingTypes,
    });
    const payload: InferenceCompletedPayload = {
      requestId: input.requestId,
      traceId: currentTraceId() ?? '',
      tenantId: input.tenantId,
      endpoint: '/v1/chat/completions',
      operation: 'chat',
      model: record.servedBy?.model ?? descriptor.id,
      // The name the caller asked for (a routed alias); `model` is the deployment that served it.
      requestedModel: descriptor.id,
      provider: record.servedBy?.provider ?? descriptor.provider,
      usage: {
        promptTokens: record.usage.promptTokens,
        completionTokens: record.usage.completionTokens,
        totalTokens: record.usage.promptTokens + record.usage.completionTokens,
        costUsd: 0,
        ...(record.usage.cachedTokens === undefined ? {} : { cachedTokens: record.usage.cachedTokens }),
        ...(record.usage.reasoningTokens === undefined ? {} : { reasoningTokens: record.usage.reasoningTokens }),
      },
      latencyMs: Math.round(performance.now() - record.startedAt),
      question: record.question,
      answer: record.answer,
      contexts: [],
      citations: [],
      policy: [
        ...record.inputVerdicts.map((verdict) => outcome('input', verdict)),
        ...(record.outputVerdicts ?? []).map((verdict) => outcome('output', verdict)),
      ],
      completedAt: now(),
      readRequires: [],
      subject: input.subject,
      attempts: record.attempts,
      streamed: record.streamed,
      ...(record.error ? { errorCode: record.error.code, errorMessage: record.error.message } : {}),
      ...policyStatusField(record),
    };
    try {
      await deps.events.publish('keel.inference.completed.v1', payload, { idempotencyKey: input.requestId });
    } catch (error) {
      deps.logger.error(
        { err: error, request_id: input.requestId, tenant_id: input.tenantId },
        'keel.inference.completed.v1 could not be published',
      );
    }
  }

  const lastUserText = (messages: GenerationMessage[]) =>
    [...messages].reverse().find((message) => message.role === 'user')?.content ?? '';

  const zeroUsage: ChatUsage = { promptTokens: 0, completionTokens: 0 };

  /** Non-streamed: the provider's answer, checked. */
  async function generate(input: GenerateInput): Promise<GeneratedCompletion> {
    const startedAt = performance.now();
    const checked = await checkInput(input);
    const request = { ...input.request, messages: checked.messages };
    const question = lastUserText(checked.messages);
    const generate = input.model.generate;
    if (!generate) throw new Error(`model ${input.model.descriptor.id} cannot generate`);
    let generation: Generation;
    try {
      generation = await observe(
        input.model.descriptor,
        () => generate.call(input.model, request, input.signal ? { signal: input.signal } : {}),
        (result) => ({
          usage: result.usage,
          finishReason: result.finishReason,
          attempts: result.attempts ?? 1,
          servedBy: result.servedBy,
        }),
      );
    } catch (error) {
      if (!isProviderError(error)) throw error;
      await publish(input, {
        question,
        answer: '',
        usage: zeroUsage,
        attempts: error.attempts,
        startedAt,
        streamed: false,
        inputVerdicts: checked.verdicts,
        error: { code: modelErrorCodeOf(error), message: error.message },
        servedBy: { provider: error.provider, model: input.model.descriptor.id },
      });
      throw modelCallErrorOf(error);
    }
    const output = await checkAnswer(input, generation.content, generation.toolCalls).catch(async (error: unknown) => {
      if (isPolicyUnavailable(error)) {
        // The tenant fails closed: the answer exists (and cost tokens) but is not served.
        await publish(input, {
          question,
          answer: '',
          usage: generation.usage,
          attempts: generation.attempts ?? 1,
          startedAt,
          streamed: false,
          inputVerdicts: checked.verdicts,
          error: { code: 'POLICY.UNAVAILABLE', message: (error as Error).message },
          servedBy: generation.servedBy,
          policyStatus: 'unavailable-fail-closed',
        });
      }
      throw error;
    });
    const policyStatus = policyStatusOf([...checked.verdicts, ...output.verdicts]);
    const served: Generation = output.blocked
      ? { ...generation, content: blockedAnswerText, toolCalls: [], finishReason: 'content_filter' }
      : { ...generation, content: output.content, toolCalls: output.toolCalls };
    await publish(input, {
      question,
      answer: served.content ?? '',
      usage: generation.usage,
      attempts: generation.attempts ?? 1,
      startedAt,
      streamed: false,
      inputVerdicts: checked.verdicts,
      outputVerdicts: output.verdicts,
      servedBy: generation.servedBy,
      policyStatus,
    });
    const outputDecision = output.decision;
    return {
      generation: served,
      policy: { input: checked.decision, output: outputDecision },
      flagged: checked.decision === 'ESCALATE' || outputDecision === 'ESCALATE',
      inputFindings: checked.findings,
      ...(policyStatus ? { policyStatus } : {}),
    };
  }

  /**
   * Streamed: failures before the first event are thrown (the route answers them as HTTP errors,
   * after the model's retries); after it, they end the stream with an error event.
   */
  async function stream(input: GenerateInput, sink: CompletionSink): Promise<void> {
    const startedAt = performance.now();
    const checked = await checkInput(input);
    const request = { ...input.request, messages: checked.messages };
    const question = lastUserText(checked.messages);
    const open = input.model.stream;
    if (!open) throw new Error(`model ${input.model.descriptor.id} cannot stream`);
    const events = open.call(input.model, request, input.signal ? { signal: input.signal } : {});
    let text = '';
    const toolCalls = new Map<number, ToolCall>();
    let usage: ChatUsage = zeroUsage;
    let finishReason: FinishReason | undefined;
    let opened = false;
    const inputStatus = policyStatusOf(checked.verdicts);
    const guard = createStreamOutputGuard({
      check: (held) => checkOutput(input, held, false),
      emitText: (released) => sink.text(released),
      emitToolCall: (delta) => sink.toolCall(delta),
      ...(deps.outputWindow ? { window: deps.outputWindow } : {}),
    });
    const failRecord = (code: string, message: string) => ({
      question,
      answer: guard.released,
      usage,
      attempts: events.attempts || 1,
      startedAt,
      streamed: true,
      inputVerdicts: checked.verdicts,
      error: { code, message },
      servedBy: events.servedBy,
    });
    try {
      await observe(
        input.model.descriptor,
        async () => {
          for await (const event of events) {
            if (!opened) {
              opened = true;
              sink.open(inputStatus);
            }
            if (sink.closed || guard.blocked) break;
            switch (event.type) {
              case 'text':
                text += event.text;
                // Released only through the held-back window, checked and redacted.
                await guard.push(event.text);
                break;
              case 'tool_call': {
                const call = toolCalls.get(event.index) ?? {
                  id: event.id ?? '',
                  type: 'function' as const,
                  function: { name: event.name ?? '', arguments: '' },
                };
                call.function.arguments += event.arguments ?? '';
                // Held whole until the arguments are checked at the end.
                toolCalls.set(event.index, call);
                break;
              }
              case 'finish':
                finishReason = event.finishReason;
                break;
              case 'usage':
                usage = event.usage;
                break;
            }
          }
        },
        () => ({ usage, finishReason, attempts: events.attempts || 1, servedBy: events.servedBy }),
      );
    } catch (error) {
      if (!isProviderError(error)) throw error;
      const code = modelErrorCodeOf(error);
      // Before the first event nothing served: the attempts and the provider that failed last are the error's.
      await publish(input, {
        ...failRecord(code, error.message),
        ...(opened
          ? {}
          : { attempts: error.attempts, servedBy: { provider: error.provider, model: input.model.descriptor.id } }),
      });
      if (!opened) throw modelCallErrorOf(error);
      sink.fail({ message: modelCallErrorOf(error).message, type: 'server_error', code });
      return;
    }
    if (!guard.blocked && !sink.closed && finishReason !== undefined) await guard.end();
    deps.recordWindow?.(guard.stats);
    if (!guard.blocked && (sink.closed || finishReason === undefined)) {
      // The client went away: what was produced is recorded; nothing more is sent.
      await publish(input, failRecord('CLIENT.CLOSED', 'the client closed the stream'));
      return;
    }
    if (!opened) sink.open(inputStatus);
    // The decision of record: the whole answer (the window's checks were provisional).
    let output: Awaited<ReturnType<typeof checkAnswer>>;
    try {
      output = await checkAnswer(input, text, [...toolCalls.values()]);
    } catch (error) {
      if (!isPolicyUnavailable(error)) throw error;
      await publish(input, {
        ...failRecord('POLICY.UNAVAILABLE', (error as Error).message),
        policyStatus: 'unavailable-fail-closed',
      });
      sink.fail({ message: (error as Error).message, type: 'server_error', code: 'DEPENDENCY.UNAVAILABLE' });
      return;
    }
    const outputDecision = output.decision;
    const policyStatus = policyStatusOf([...checked.verdicts, ...output.verdicts]);
    if (output.blocked || guard.blocked) {
      await publish(input, {
        ...failRecord('POLICY.BLOCKED_OUTPUT', 'the answer was blocked by policy'),
        outputVerdicts: guard.blocked ? [...output.verdicts, guard.blocked] : output.verdicts,
        policyStatus,
      });
      sink.fail({
        message: 'The answer was blocked by the content policy of this workspace.',
        type: 'invalid_request_error',
        code: 'content_policy_violation',
      });
      return;
    }
    await publish(input, {
      question,
      // What the client received: the window's redacted text.
      answer: guard.released,
      usage,
      attempts: events.attempts || 1,
      startedAt,
      streamed: true,
      inputVerdicts: checked.verdicts,
      outputVerdicts: output.verdicts,
      servedBy: events.servedBy,
      policyStatus,
    });
    guard.releaseToolCalls([...toolCalls.keys()], output.toolCalls);
    sink.finish(
      // Defined here: a stream without its finish returned above (only a blocked one goes on without it, and it failed).
      finishReason ?? 'stop',
      usage,
      { input: checked.decision, output: outputDecision },
      checked.decision === 'ESCALATE' || outputDecision === 'ESCALATE',
      events.attempts || 1,
      events.servedBy,
      policyStatus ? { policyStatus } : {},
    );
  }

  return { generate, stream };
}

export type GenerateCompletion = ReturnType<typeof createGenerateCompletion>;

function policyStatusField(record: { policyStatus?: PolicyStatus | undefined }): { policyStatus?: string } {
  return record.policyStatus ? { policyStatus: record.policyStatus } : {};
}
