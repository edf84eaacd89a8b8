/**
 * Policy redacts PII in answers with typed placeholders (`[EMAIL]`, `[PHONE]`, `[CARD]`), while
 * the contexts keep the values. A redacted quote is still a quote: the placeholder matches its
 * kind of value in the context, and an untyped one (`[REDACTED]`) counts as no term at all.
 */
import { describe, expect, it } from 'vitest';
import { contentTerms, valueKindSpans } from './content-terms.js';
import { scoreAnswer } from './score-answer.js';

const scoreOne = (answer: string, context: string) =>
  scoreAnswer({ answer, contexts: [{ chunkId: 'c1', text: context }] });

describe('redaction placeholders', () => {
  it.each([
    // The first three scored 0 under lexical-groundedness/1 (support 0.67: the placeholder was an
    // unsupported word); the others passed by luck (the context says "card") or by margin.
    ['Pay deposits with [CARD]. [1]', 'Pay deposits with 4111 1111 1111 1111.'],
    ['Pay deposits with [CARD]. [1]', 'Pay deposits with 4111-1111-1111-1111 at the front desk.'],
    ['Send the signed form to [EMAIL]. [1]', 'Send the signed form to hr@northwind.example.'],
    ['Pay deposits with [CARD]. [1]', 'Pay deposits with card 4111 1111 1111 1111.'],
    ['Call the hotline on [PHONE] for urgent repairs. [1]', 'Call the hotline on +44 20 7946 0958 for urgent repairs.'],
    ['Items can be returned within [REDACTED] of delivery. [1]', 'Items can be returned within 30 days of delivery.'],
    ['Pay deposits with [CARD]. [1]', 'Pay deposits with [CARD].'],
  ])('"%s" is grounded in "%s"', (answer, context) => {
    const scores = scoreOne(answer, context);
    expect(scores.groundedness, JSON.stringify(scores.verdicts)).toBe(1);
    expect(scores.verdicts[0]?.support).toBe(1);
  });

  it('does not let a placeholder stand for another kind of value, or for a missing one', () => {
    expect(scoreOne('Pay deposits with [EMAIL]. [1]', 'Pay deposits with 4111 1111 1111 1111.').groundedness).toBe(0);
    expect(scoreOne('Pay deposits with [CARD]. [1]', 'Pay deposits at the front desk.').groundedness).toBe(0);
    // Not a card: the Luhn check fails.
    expect(scoreOne('Pay deposits with [CARD]. [1]', 'Pay deposits with 4111 1111 1111 1112.').groundedness).toBe(0);
  });

  it('keeps numbers and negations as facts around a placeholder', () => {
    const context = 'Refunds go to the card 4111 1111 1111 1111 within 5 days.';
    expect(scoreOne('Refunds go to [CARD] within 5 days. [1]', context).groundedness).toBe(1);
    expect(scoreOne('Refunds go to [CARD] within 9 days. [1]', context).groundedness).toBe(0);
    expect(scoreOne('Refunds never go to [CARD]. [1]', context).groundedness).toBe(0);
  });

  it('turns typed placeholders into kind terms and drops untyped ones', () => {
    expect(contentTerms('Pay with [CARD] or [EMAIL_2], not [PHONE]')).toEqual([
      'pay',
      '<card>',
      '<email>',
      'not:<phone>',
    ]);
    expect(contentTerms('Returned within [REDACTED] of [PERSON] delivery')).toEqual(['return', 'delivery']);
    // Lower case is text, as redactors write labels in upper case.
    expect(contentTerms('the [card] slot')).toEqual(['card', 'slot']);
  });

  it('marks emails, phone numbers and Luhn-valid card numbers in contexts, keeping their own terms', () => {
    expect(contentTerms('Mail hr@northwind.example or call +1 (555) 010-0199.', { valueKinds: true })).toEqual([
      'mail',
      '<email>',
      'hr',
      'northwind',
      'exampl',
      'call',
      '<phone>',
      '1',
      '555',
      '010',
      '0199',
    ]);
    expect(valueKindSpans('card 4111 1111 1111 1111, 2024-01-15, 12 robots').map((span) => span.kind)).toEqual([
      'card',
    ]);
    expect(contentTerms('Pay with 4111 1111 1111 1111.')).toEqual(['pay', '4111', '1111', '1111', '1111']);
  });
});
