/**
 * A chat completion by a provider model (`/v1/chat/completions` with a provider's model): the
 * request is passed through, nothing is retrieved. Policy still guards it:
 *  1. input: every system, user and tool message is checked (concurrently) before the call;
 *     BLOCK refuses the request (400 `content_policy_violation`), REDACT sends the redacted text;
 *  2. the provider answers (retries and timeouts are the model's: see @keel/models withRetries);
 *  3. output: the answer's text and each tool call's arguments are checked; REDACT serves the
 *     redacted text (arguments only if they stay JSON, else the answer is blocked), BLOCK a refusal
 *     with `finish_reason: content_filter` and no tool calls. A stream releases text deltas as they
 *     arrive and holds back only its end: the finish chunk, the usage chunk and `[DONE]` are sent
 *     after the assembled text has passed the check; a BLOCK ends the stream with an error event
 *     instead (what was already sent cannot be recalled, and a REDACT of it is recorded, not
 *     applied);
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
  type ToolCall,
} from '@keel/models';
import { currentTraceId, type Logger } from '@keel/platform';
import { isBlankText } from '@keel/text';
import { blockedAnswerText, questionBlocked } from '../answering/answer-errors.js';
import type { InferenceCompletedPayload } from '../answering/completion-event.js';
import { createModelCallObserver, type ObserveModelCall } from '../answering/model-call.js';
import type { PolicyDecision, PolicyGate, PolicyVerdict } from '../answering/policy-gate.js';
import { modelCallErrorOf, modelErrorCodeOf } from './model-errors.js';

export interface GenerateDeps {
  policy: PolicyGate;
  events: Pick<EventPublisher, 'publish'>;
  logger: Logger;
  now?: () => Date;
  /** The span and GenAI metrics of each model call (shared with grounded answers). */
  observeModelCall?: ObserveModelCall;
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
}

/** What a stream sends, in order; the route frames each as an SSE event. */
export interface CompletionSink {
  /** The first event is about to be sent: headers go out now (failures before it are plain HTTP errors). */
  open(): void;
  text(text: string): void;
  toolCall(delta: { index: number; id?: string; name?: string; arguments?: string }): void;
  /** The end, after the output check passed. */
  finish(finishReason: FinishReason, usage: ChatUsage, policy: PolicySummary, flagged: boolean, attempts: number): void;
  /** The end of a failed or blocked stream: an error event, no `[DONE]`. */
  fail(error: { message: string; type: string; code: string }): void;
  /** Whether the client is gone. */
  readonly closed: boolean;
}

const severity: Record<PolicyDecision, number> = { ALLOW: 0, REDACT: 1, ESCALATE: 2, BLOCK: 3 };

export function createGenerateCompletion(deps: GenerateDeps) {
  const now = deps.now ?? (() => new Date());
  const observe = deps.observeModelCall ?? createModelCallObserver();

  /** Checks every message a person or a tool wrote; returns the messages to send (redacted) and the worst verdict. */
  async function checkInput(input: GenerateInput) {
    const checked = await Promise.all(
      input.request.messages.map(async (message): Promise<[GenerationMessage, PolicyVerdict | undefined]> => {
        if (message.role === 'assistant' || !message.content || isBlankText(message.content))
          return [message, undefined];
        const verdict = await deps.policy.check({
          tenantId: input.tenantId,
          stage: 'input',
          text: message.content,
          contexts: [],
          requestId: input.requestId,
          readRequires: [],
        });
        return [{ ...message, content: verdict.text }, verdict];
      }),
    );
    const verdicts = checked.flatMap(([, verdict]) => (verdict ? [verdict] : []));
    const worst = verdicts.reduce<PolicyVerdict | undefined>(
      (a, b) => (a && severity[a.decision] >= severity[b.decision] ? a : b),
      undefined,
    );
    if (worst?.decision === 'BLOCK') throw questionBlocked(worst);
    return {
      messages: checked.map(([message]) => message),
      verdicts,
      decision: worst?.decision ?? ('ALLOW' as PolicyDecision),
    };
  }

  function checkOutput(input: GenerateInput, text: string): Promise<PolicyVerdict> {
    return deps.policy.check({
      tenantId: input.tenantId,
      stage: 'output',
      text,
      contexts: [],
      requestId: input.requestId,
      readRequires: [],
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
      model: descriptor.id,
      provider: descriptor.provider,
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
        (result) => ({ usage: result.usage, finishReason: result.finishReason, attempts: result.attempts ?? 1 }),
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
      });
      throw modelCallErrorOf(error);
    }
    const output = await checkAnswer(input, generation.content, generation.toolCalls);
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
    });
    const outputDecision = output.decision;
    return {
      generation: served,
      policy: { input: checked.decision, output: outputDecision },
      flagged: checked.decision === 'ESCALATE' || outputDecision === 'ESCALATE',
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
    const failRecord = (code: string, message: string) => ({
      question,
      answer: text,
      usage,
      attempts: events.attempts || 1,
      startedAt,
      streamed: true,
      inputVerdicts: checked.verdicts,
      error: { code, message },
    });
    try {
      await observe(
        input.model.descriptor,
        async () => {
          for await (const event of events) {
            if (!opened) {
              opened = true;
              sink.open();
            }
            if (sink.closed) break;
            switch (event.type) {
              case 'text':
                text += event.text;
                sink.text(event.text);
                break;
              case 'tool_call': {
                const call = toolCalls.get(event.index) ?? {
                  id: event.id ?? '',
                  type: 'function' as const,
                  function: { name: event.name ?? '', arguments: '' },
                };
                call.function.arguments += event.arguments ?? '';
                toolCalls.set(event.index, call);
                sink.toolCall(event);
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
        () => ({ usage, finishReason, attempts: events.attempts || 1 }),
      );
    } catch (error) {
      if (!isProviderError(error)) throw error;
      const code = modelErrorCodeOf(error);
      await publish(input, failRecord(code, error.message));
      if (!opened) throw modelCallErrorOf(error);
      sink.fail({ message: modelCallErrorOf(error).message, type: 'server_error', code });
      return;
    }
    if (sink.closed || finishReason === undefined) {
      // The client went away: what was produced is recorded; nothing more is sent.
      await publish(input, failRecord('CLIENT.CLOSED', 'the client closed the stream'));
      return;
    }
    if (!opened) sink.open();
    const output = await checkAnswer(input, text, [...toolCalls.values()]);
    const outputDecision = output.decision;
    if (output.blocked) {
      await publish(input, {
        ...failRecord('POLICY.BLOCKED_OUTPUT', 'the answer was blocked by policy'),
        outputVerdicts: output.verdicts,
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
      answer: text,
      usage,
      attempts: events.attempts || 1,
      startedAt,
      streamed: true,
      inputVerdicts: checked.verdicts,
      outputVerdicts: output.verdicts,
    });
    sink.finish(
      finishReason,
      usage,
      { input: checked.decision, output: outputDecision },
      checked.decision === 'ESCALATE' || outputDecision === 'ESCALATE',
      events.attempts || 1,
    );
  }

  return { generate, stream };
}

export type GenerateCompletion = ReturnType<typeof createGenerateCompletion>;
