import { describe, expect, it } from 'vitest';
import type { Answer } from '../../answering/answer.js';
import { chatCompletionChunks, chatCompletionOf, contentDeltas } from './chat-completion-response.js';

const answer: Answer = {
  id: 'chatcmpl-abc',
  answer: 'Items can be returned. [1]',
  citations: [
    {
      marker: 1,
      documentId: 'returns',
      documentVersion: 'v2',
      title: 'Returns',
      source: 'kb://returns.md',
      chunkId: 'returns#0',
      startOffset: 0,
      endOffset: 22,
      score: 0.9,
      quote: 'Items can be returned.',
    },
  ],
  model: 'keel-extractive-v1',
  provider: 'embedded',
  usage: { promptTokens: 40, completionTokens: 7, totalTokens: 47 },
  finishReason: 'stop',
  policy: {
    input: { decision: 'REDACT', decisionId: 'a', reason: 'r', policyVersion: 'v', findingTypes: ['pii.email'] },
    output: { decision: 'ALLOW', decisionId: 'b', reason: '', policyVersion: 'v', findingTypes: [] },
  },
  flagged: false,
  latencyMs: 12,
};

describe('chat completion responses', () => {
  it('builds the OpenAI completion with Keel citations on the side', () => {
    expect(chatCompletionOf(answer, 1_700_000_000)).toEqual({
      id: 'chatcmpl-abc',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'keel-extractive-v1',
      system_fingerprint: null,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Items can be returned. [1]', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 40, completion_tokens: 7, total_tokens: 47 },
      keel: { citations: answer.citations, policy: { input: 'REDACT', output: 'ALLOW' }, flagged: false },
    });
  });

  it('splits content into deltas that join back to it', () => {
    expect(contentDeltas('Items  can\nbe returned. [1]')).toEqual(['Items  ', 'can\n', 'be ', 'returned. ', '[1]']);
    expect(contentDeltas('')).toEqual([]);
  });

  it('streams a role chunk, the content, a finish chunk with citations, then usage when asked', () => {
    const chunks = chatCompletionChunks(answer, 1, { includeUsage: true }) as Record<string, unknown>[];
    const deltas = chunks.map((chunk) => (chunk.choices as { delta: { content?: string } }[])[0]?.delta.content ?? '');
    expect(deltas.join('')).toBe(answer.answer);
    expect(chunks[0]).toMatchObject({
      object: 'chat.completion.chunk',
      id: 'chatcmpl-abc',
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      usage: null,
    });
    const finish = chunks.at(-2) as Record<string, unknown>;
    expect(finish).toMatchObject({
      choices: [{ delta: {}, finish_reason: 'stop' }],
      keel: { citations: answer.citations },
    });
    expect(chunks.at(-1)).toEqual({
      id: 'chatcmpl-abc',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'keel-extractive-v1',
      system_fingerprint: null,
      choices: [],
      usage: { prompt_tokens: 40, completion_tokens: 7, total_tokens: 47 },
    });
    const plain = chatCompletionChunks(answer, 1, { includeUsage: false }) as Record<string, unknown>[];
    expect(plain).toHaveLength(chunks.length - 1);
    expect(plain.every((chunk) => !('usage' in chunk))).toBe(true);
  });
});
