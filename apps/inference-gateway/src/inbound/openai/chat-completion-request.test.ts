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

  it('rejects a conversation without a user question', () => {
    const request = parse({
      model: 'm',
      messages: [
        { role: 'system', content: 'x' },
        { role: 'user', content: '  ' },
      ],
    });
    expect(() => conversationOf(request)).toThrow(KeelError);
    expect(() => conversationOf(request)).toThrow(/messages: must contain a user message with text/);
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
