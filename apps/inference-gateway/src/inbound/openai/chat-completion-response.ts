/** The OpenAI response shapes, built from an Answer: one completion, or its stream of chunks. */
import type { Answer } from '../../answering/answer.js';
import { openAiGuardrailFieldsOf } from '../../guardrails/guardrail-fields.js';

export function chatCompletionOf(answer: Answer, created: number) {
  return {
    id: answer.id,
    object: 'chat.completion' as const,
    created,
    model: answer.model,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: answer.answer, refusal: null },
        logprobs: null,
        finish_reason: answer.finishReason,
      },
    ],
    usage: usageOf(answer),
    keel: keelExtensionOf(answer),
  };
}

export function usageOf(answer: Answer) {
  return {
    prompt_tokens: answer.usage.promptTokens,
    completion_tokens: answer.usage.completionTokens,
    total_tokens: answer.usage.totalTokens,
  };
}

/** Keel's additions, in a field of their own that OpenAI clients ignore. */
export function keelExtensionOf(answer: Answer) {
  return {
    citations: answer.citations,
    policy: { input: answer.policy.input.decision, output: answer.policy.output.decision },
    flagged: answer.flagged,
    ...openAiGuardrailFieldsOf(answer),
  };
}

/** The content split into stream deltas: one word with its following whitespace each. */
export function contentDeltas(content: string): string[] {
  return content.match(/\S+\s*|\s+/g) ?? [];
}

/** Every chunk of the stream, in order; the caller frames each as `data: <json>` and ends with `[DONE]`. */
export function chatCompletionChunks(answer: Answer, created: number, options: { includeUsage: boolean }): object[] {
  const base = {
    id: answer.id,
    object: 'chat.completion.chunk' as const,
    created,
    model: answer.model,
    system_fingerprint: null,
  };
  const chunk = (delta: object, finishReason: string | null, extra: object = {}) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(options.includeUsage ? { usage: null } : {}),
    ...extra,
  });
  const chunks: object[] = [chunk({ role: 'assistant', content: '', refusal: null }, null)];
  for (const delta of contentDeltas(answer.answer)) chunks.push(chunk({ content: delta }, null));
  chunks.push(chunk({}, answer.finishReason, { keel: keelExtensionOf(answer) }));
  // As OpenAI does with include_usage: a last chunk with no choices and the usage of the whole request.
  if (options.includeUsage) chunks.push({ ...base, choices: [], usage: usageOf(answer) });
  return chunks;
}
