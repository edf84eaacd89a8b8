import { describe, expect, it } from 'vitest';
import type { ChatRequest, GroundingContext } from '../chat-model.js';
import { createExtractiveChatModel, extractiveModelDescriptor, notFoundAnswer } from './extractive-chat-model.js';

const contexts: GroundingContext[] = [
  {
    marker: 1,
    chunkId: 'billing#0',
    documentId: 'billing',
    title: 'Billing FAQ',
    text: '# Refunds\nAnnual plans can be refunded within 30 days of purchase. Monthly plans are not refundable.\nRefunds are paid to the original card.',
  },
  {
    marker: 2,
    chunkId: 'security#0',
    documentId: 'security',
    title: 'Security',
    text: 'Audit logs are kept for 400 days. Administrators can export audit logs as CSV. Single sign-on supports SAML and OIDC.',
  },
  {
    marker: 3,
    chunkId: 'overview#0',
    documentId: 'overview',
    title: 'Overview',
    text: 'Keel answers questions from your documents. Every answer cites the chunks it used.',
  },
];

function ask(question: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'keel-extractive-v1', messages: [{ role: 'user', content: question }], contexts, ...extra };
}

describe('createExtractiveChatModel', () => {
  const model = createExtractiveChatModel();

  it('describes itself as the embedded keel-extractive-v1 model', () => {
    expect(model.descriptor).toEqual({ id: 'keel-extractive-v1', provider: 'embedded', ownedBy: 'keel' });
    expect(extractiveModelDescriptor.id).toBe('keel-extractive-v1');
  });

  it('quotes the best sentence verbatim with its citation marker', async () => {
    const response = await model.complete(ask('How long are audit logs kept?'));
    // The export sentence also mentions audit logs but adds no question term the first lacks.
    expect(response.content).toBe('Audit logs are kept for 400 days. [2]');
    expect(response.citedMarkers).toEqual([2]);
    expect(response.quotes).toEqual([{ marker: 2, text: 'Audit logs are kept for 400 days.', start: 0, end: 33 }]);
    expect(response.finishReason).toBe('stop');
  });

  it('adds a second sentence when it covers a question term the first does not', async () => {
    const response = await model.complete(ask('Can annual or monthly plans be refunded?'));
    expect(response.content).toBe(
      'Annual plans can be refunded within 30 days of purchase. [1] Monthly plans are not refundable. [1]',
    );
    expect(response.citedMarkers).toEqual([1]);
    const quote = response.quotes?.[1];
    expect(quote && contexts[0]?.text.slice(quote.start, quote.end)).toBe('Monthly plans are not refundable.');
  });

  it('cites each context it quotes, in order of first use', async () => {
    const response = await model.complete(ask('Are refunds paid to the card, and are audit logs exported as CSV?'));
    // Seven equally weighted terms: the export sentence covers four, the refund sentence three.
    expect(response.content).toBe(
      'Administrators can export audit logs as CSV. [2] Refunds are paid to the original card. [1]',
    );
    expect(response.citedMarkers).toEqual([2, 1]);
  });

  it('answers from a partial match above the relevance floor', async () => {
    const response = await model.complete(ask('Does Keel support SAML login?'));
    expect(response.content).toBe('Single sign-on supports SAML and OIDC. [2]');
  });

  it('is not thrown off by a word no context has, such as a redaction label', async () => {
    const response = await model.complete(
      ask('I am [EMAIL]: how are hotel stays reimbursed?', {
        contexts: [
          {
            marker: 1,
            chunkId: 'h',
            documentId: 'h',
            title: 'Travel',
            text: 'Hotel stays are reimbursed up to 180 euros per night.',
          },
        ],
      }),
    );
    expect(response.content).toBe('Hotel stays are reimbursed up to 180 euros per night. [1]');
  });

  it('says it could not find the answer, citing nothing, when no sentence clears the floor', async () => {
    for (const question of ['What is the capital of France?', 'What is it?']) {
      const response = await model.complete(ask(question));
      expect(response.content).toBe(notFoundAnswer);
      expect(response.citedMarkers).toEqual([]);
      expect(response.quotes).toEqual([]);
    }
    const noContexts = await model.complete(ask('How long are audit logs kept?', { contexts: [] }));
    expect(noContexts.content).toBe(notFoundAnswer);
  });

  it('answers the last user message of a conversation', async () => {
    const response = await model.complete(
      ask('', {
        messages: [
          { role: 'system', content: 'You answer from documents about audit logs.' },
          { role: 'user', content: 'How long are audit logs kept?' },
          { role: 'assistant', content: 'Audit logs are kept for 400 days. [2]' },
          { role: 'user', content: 'Which protocols does single sign-on support?' },
        ],
      }),
    );
    expect(response.content).toBe('Single sign-on supports SAML and OIDC. [2]');
  });

  it('quotes a repeated sentence once, from the better-ranked context', async () => {
    const shared = 'Backups run every night at 02:00 UTC.';
    const response = await model.complete(
      ask('When do backups run?', {
        contexts: [
          { marker: 1, chunkId: 'a', documentId: 'a', title: 'A', text: `Intro text here. ${shared}` },
          { marker: 2, chunkId: 'b', documentId: 'b', title: 'B', text: `${shared} Restores take an hour.` },
        ],
      }),
    );
    expect(response.content).toBe(`${shared} [1]`);
    expect(response.citedMarkers).toEqual([1]);
  });

  it('collapses line breaks inside a quoted sentence but reports its exact span', async () => {
    const text = 'Tokens expire\n  after 24 hours of inactivity.';
    const response = await model.complete(
      ask('When do tokens expire?', { contexts: [{ marker: 1, chunkId: 'c', documentId: 'c', title: 'C', text }] }),
    );
    expect(response.content).toBe('Tokens expire after 24 hours of inactivity. [1]');
    expect(response.quotes?.[0]).toEqual({ marker: 1, text, start: 0, end: text.length });
  });

  it('counts usage and respects maxTokens', async () => {
    const full = await model.complete(ask('Can annual or monthly plans be refunded?'));
    // Words cost one token per seven letters ("refunded", "purchase", "refundable" cost two), each
    // punctuation run one per two characters: 12 + 1 + 3 for the first quote, 6 + 1 + 3 for the second.
    expect(full.usage.completionTokens).toBe(26);
    const tiny = await model.complete({
      model: 'keel-extractive-v1',
      messages: [{ role: 'user', content: 'Hi there' }],
      contexts: [{ marker: 1, chunkId: 'c', documentId: 'd', title: 'T', text: 'Short text.' }],
    });
    // Four framing tokens per message and per context, plus "Hi there" (2) and "[1] T\nShort text." (7).
    expect(tiny.usage.promptTokens).toBe(17);

    const oneSentence = await model.complete(ask('Can annual or monthly plans be refunded?', { maxTokens: 16 }));
    expect(oneSentence.content).toBe('Annual plans can be refunded within 30 days of purchase. [1]');
    expect(oneSentence.finishReason).toBe('length');
    expect(oneSentence.usage.completionTokens).toBeLessThanOrEqual(16);

    const words = await model.complete(ask('Can annual or monthly plans be refunded?', { maxTokens: 4 }));
    expect(words.content).toBe('Annual plans can be');
    expect(words.finishReason).toBe('length');
    expect(words.citedMarkers).toEqual([]);
  });

  it('is deterministic', async () => {
    const question = ask('Can annual or monthly plans be refunded?');
    expect(await model.complete(question)).toEqual(await model.complete(question));
  });
});
