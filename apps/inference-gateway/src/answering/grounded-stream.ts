/**
 * A grounded answer streamed by a provider model (`/v1/answers` with `stream: true`): the
 * contexts go into the prompt as for `complete`, the answer's deltas go out through the held-back
 * window (guardrails/stream-output-guard.ts: checked with the text before them, released
 * redacted, stopped at a BLOCK), and the whole answer comes back for the output check of record and
 * its citations.
 */
import {
  type CallOptions,
  type ChatModel,
  type ChatRequest,
  type ChatResponse,
  type ChatUsage,
  citedMarkersOf,
  type FinishReason,
  groundedMessagesOf,
} from '@keel/models';
import type { OutputWindowOptions } from '../guardrails/output-window.js';
import type { WithheldPassage } from '../guardrails/passage-guard.js';
import type { PolicyStatus } from '../guardrails/policy-status.js';
import { createStreamOutputGuard } from '../guardrails/stream-output-guard.js';
import type { PolicyVerdict } from './policy-gate.js';

/** Where a streamed answer goes; the route frames each call as a server-sent event. */
export interface AnswerStreamSink {
  /** The model is about to stream: headers go out now, saying what the guardrails did so far. */
  open(guardrails: { withheldPassages: readonly WithheldPassage[]; policyStatus?: PolicyStatus | undefined }): void;
  text(delta: string): void;
  readonly closed: boolean;
  readonly signal?: AbortSignal;
}

export interface StreamedGrounding extends ChatResponse {
  /** The window blocked part of the answer: the stream stopped there. */
  blockedInFlight: boolean;
  /** What the client received. */
  released: string;
}

export async function streamGroundedAnswer(
  model: ChatModel,
  request: ChatRequest,
  options: {
    sink: AnswerStreamSink;
    check: (text: string) => Promise<PolicyVerdict>;
    window?: OutputWindowOptions | undefined;
  },
): Promise<StreamedGrounding> {
  const open = model.stream;
  if (!open) throw new Error(`model ${model.descriptor.id} cannot stream`);
  const call: CallOptions = options.sink.signal ? { signal: options.sink.signal } : {};
  const events = open.call(
    model,
    {
      model: model.descriptor.id,
      messages: groundedMessagesOf(request),
      ...(request.maxTokens ? { maxTokens: request.maxTokens } : {}),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    },
    call,
  );
  const guard = createStreamOutputGuard({
    check: options.check,
    emitText: (text) => options.sink.text(text),
    emitToolCall: () => {},
    ...(options.window ? { window: options.window } : {}),
  });
  let content = '';
  let usage: ChatUsage = { promptTokens: 0, completionTokens: 0 };
  let finishReason: FinishReason = 'stop';
  for await (const event of events) {
    if (options.sink.closed || guard.blocked) break;
    if (event.type === 'text') {
      content += event.text;
      await guard.push(event.text);
    } else if (event.type === 'finish') finishReason = event.finishReason;
    else if (event.type === 'usage') usage = event.usage;
  }
  if (!guard.blocked && !options.sink.closed) await guard.end();
  return {
    content,
    citedMarkers: citedMarkersOf(
      content,
      request.contexts.map((context) => context.marker),
    ),
    usage,
    finishReason: finishReason === 'tool_calls' ? 'stop' : finishReason,
    attempts: events.attempts || 1,
    blockedInFlight: guard.blocked !== undefined,
    released: guard.released,
  };
}
