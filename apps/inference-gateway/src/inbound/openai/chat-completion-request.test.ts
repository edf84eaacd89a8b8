import { KeelError, parseBody } from '@keel/platform';
import { describe, expect, it } from 'vitest';
import { chatCompletionRequestSchema, conversationOf } from './chat-completion-request.js';

function parse(body: unknown) {
  return parseBody(chatCompletionRequestSchema, body);
}

describe('chat completion requests', () => {
  it('takes the last user message as the question and the turns before it as history', () => {
    const request = parse({
      model: 'keel-extractive-v1',
      messages: [
        { role: 'developer', content: 'Answer from the handbook.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'tool', content: '{"x":1}', tool_call_id: 't1' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'How long is the' },
            { type: 'text', text: 'warranty?' },
          ],
        },
      ],
      stream: false,
      future_parameter: 'tolerated',
    });
    expect(conversationOf(request)).toEqual({
      question: 'How long is the\nwarranty?',
      history: [
        { role: 'system', content: 'Answer from the handbook.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
      ],
    });
  });

  it('rejects a conversation without a user message', () => {
    const request = parse({ model: 'm', messages: [{ role: 'system', content: 'x' }] });
    expect(() => conversationOf(request)).toThrow(KeelError);
    expect(() => conversationOf(request)).toThrow(/messages: must contain a user message with text/);
  });

  function violations(body: unknown): { field: string; message: string }[] {
    try {
      conversationOf(parse(body));
    } catch (error) {
      if (error instanceof KeelError && error.httpStatus === 400) return error.violations;
      throw error;
    }
    throw new Error('expected a 400');
  }

  it.each([
    ['blank', '  '],
    ['made only of invisible characters', '\u200b\u200d\u2066\u2069\ufeff\u00a0'],
  ])('names the question message when it is %s', (_case, content) => {
    const found = violations({
      model: 'm',
      messages: [
        { role: 'system', content: 'x' },
        { role: 'user', content: 'earlier' },
        { role: 'assistant', content: 'reply' },
        { role: 'user', content },
      ],
    });
    expect(found).toEqual([{ field: 'messages.3.content', message: expect.stringMatching(/^must not be empty/) }]);
  });

  it('names the question message when it is longer than a question may be', () => {
    const found = violations({
      model: 'm',
      messages: [
        { role: 'system', content: 'A long system prompt is fine. '.repeat(1000) },
        { role: 'user', content: [{ type: 'text', text: 'why? '.repeat(820) }] },
        { role: 'assistant', content: null },
      ],
    });
    expect(found).toEqual([{ field: 'messages.1.content', message: expect.stringMatching(/at most 4096 characters/) }]);
  });

  it('bounds the conversation: messages, their text, the whole, and the other fields', () => {
    const user = { role: 'user', content: 'Why?' };
    const fields = (body: Record<string, unknown>) =>
      violations({ model: 'm', messages: [user], ...body }).map((v) => v.field);
    expect(fields({ messages: Array.from({ length: 1025 }, () => user) })).toEqual(['messages']);
    expect(fields({ messages: [{ role: 'system', content: 'x'.repeat(131_073) }, user] })).toEqual([
      'messages.0.content',
    ]);
    const parts = Array.from({ length: 257 }, () => ({ type: 'text', text: 'x' }));
    expect(fields({ messages: [{ role: 'system', content: parts }, user] })).toEqual(['messages.0.content']);
    // Parts that are each within the limit, together over it.
    const halves = [
      { type: 'text', text: 'x'.repeat(70_000) },
      { type: 'text', text: 'x'.repeat(70_000) },
    ];
    expect(fields({ messages: [{ role: 'system', content: halves }, user] })).toEqual(['messages.0.content']);
    const long = { role: 'assistant', content: 'x'.repeat(131_072) };
    expect(fields({ messages: [long, long, long, long, user] })).toEqual(['messages']);
    expect(fields({ model: 'm'.repeat(257) })).toEqual(['model']);
    expect(fields({ user: 'u'.repeat(513) })).toEqual(['user']);
    expect(fields({ max_tokens: 2_000_000 })).toEqual(['max_tokens']);
    expect(fields({ messages: [{ ...user, name: 'n'.repeat(513) }] })).toEqual(['messages.0.name']);
  });

  it('names each invalid field', () => {
    const error = (() => {
      try {
        parse({ messages: [{ role: 'robot', content: 'x' }], n: 2, temperature: 3 });
      } catch (caught) {
        return caught as KeelError;
      }
      throw new Error('expected a validation error');
    })();
    expect(error.httpStatus).toBe(400);
    expect(error.violations.map((v) => v.field)).toEqual(['model', 'messages.0.role', 'temperature', 'n']);
  });

  it('rejects non-text content parts and an empty message list', () => {
    expect(() =>
      parse({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }),
    ).toThrow(/messages\.0\.content/);
    expect(() => parse({ model: 'm', messages: [] })).toThrow(/messages: must contain at least one message/);
  });
});
