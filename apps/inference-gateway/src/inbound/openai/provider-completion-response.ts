/** OpenAI's response shapes for a provider model's completion: JSON, and the chunks of its stream. */
import type { ChatUsage, FinishReason, Generation } from '@keel/models';
import type { PolicySummary } from '../../generation/generate-completion.js';

export function providerUsageOf(usage: ChatUsage) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    ...(usage.cachedTokens === undefined ? {} : { prompt_tokens_details: { cached_tokens: usage.cachedTokens } }),
    ...(usage.reasoningTokens === undefined
      ? {}
      : { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } }),
  };
}

export function providerCompletionOf(input: {
  id: string;
  created: number;
  model: string;
  provider: string;
  generation: Generation;
  policy: PolicySummary;
  flagged: boolean;
}) {
  const { generation } = input;
  return {
    id: input.id,
    object: 'chat.completion' as const,
    created: input.created,
    model: input.model,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant' as const,
          content: generation.content,
          refusal: null,
          ...(generation.toolCalls.length > 0 ? { tool_calls: generation.toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: generation.finishReason,
      },
    ],
    usage: providerUsageOf(generation.usage),
    keel: {
      provider: input.provider,
      attempts: generation.attempts ?? 1,
      policy: input.policy,
      flagged: input.flagged,
    },
  };
}

/** Builds the chunks of one stream. */
export function providerChunks(input: { id: string; created: number; model: string; includeUsage: boolean }) {
  const base = {
    id: input.id,
    object: 'chat.completion.chunk' as const,
    created: input.created,
    model: input.model,
    system_fingerprint: null,
  };
  const chunk = (delta: object, finishReason: FinishReason | null, extra: object = {}) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(input.includeUsage ? { usage: null } : {}),
    ...extra,
  });
  return {
    role: () => chunk({ role: 'assistant', content: '', refusal: null }, null),
    text: (text: string) => chunk({ content: text }, null),
    toolCall: (delta: { index: number; id?: string; name?: string; arguments?: string }) =>
      chunk(
        {
          tool_calls: [
            {
              index: delta.index,
              ...(delta.id ? { id: delta.id, type: 'function' } : {}),
              function: {
                ...(delta.name ? { name: delta.name } : {}),
                ...(delta.arguments !== undefined ? { arguments: delta.arguments } : {}),
              },
            },
          ],
        },
        null,
      ),
    finish: (finishReason: FinishReason, keel: object) => chunk({}, finishReason, { keel }),
    usage: (usage: ChatUsage) => ({ ...base, choices: [], usage: providerUsageOf(usage) }),
  };
}
