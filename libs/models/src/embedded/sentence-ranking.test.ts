import { describe, expect, it } from 'vitest';
import { inverseDocumentFrequency, rankSentences } from './sentence-ranking.js';

const contexts = [
  { marker: 1, text: 'Annual plans can be refunded within 30 days of purchase. Monthly plans are not refundable.' },
  { marker: 2, text: 'Audit logs are kept for 400 days. Administrators can export audit logs as CSV.' },
  { marker: 3, text: 'Keel answers questions from your documents. Every answer cites the chunks it used.' },
];

describe('inverseDocumentFrequency', () => {
  it('weighs an absent term most and a ubiquitous one least, always positively', () => {
    expect(inverseDocumentFrequency(3, 0)).toBeCloseTo(Math.log(8), 10);
    expect(inverseDocumentFrequency(3, 1)).toBeCloseTo(Math.log(1 + 2.5 / 1.5), 10);
    expect(inverseDocumentFrequency(3, 3)).toBeGreaterThan(0);
    expect(inverseDocumentFrequency(3, 3)).toBeLessThan(inverseDocumentFrequency(3, 1));
  });
});

describe('rankSentences', () => {
  it('scores the share of the question term weight each sentence covers', () => {
    // audit, log, kept: in one of three contexts (ln 8/3 each); long: in none, weighed the same.
    const once = Math.log(1 + 2.5 / 1.5);
    const total = 4 * once;
    const [first, second] = rankSentences('How long are audit logs kept?', contexts);
    expect(first?.text).toBe('Audit logs are kept for 400 days.');
    expect(first?.marker).toBe(2);
    expect(first?.relevance).toBeCloseTo(0.75, 10);
    expect(first?.matchedTerms).toEqual(['audit', 'log', 'kept']);
    // Context 2 is second of three in retrieval order: bonus 0.05 × 2/3.
    expect(first?.score).toBeCloseTo(0.75 + 0.05 * (2 / 3), 10);
    expect(second?.text).toBe('Administrators can export audit logs as CSV.');
    expect(second?.relevance).toBeCloseTo((2 * once) / total, 10);
  });

  it('weighs terms every context repeats below rare ones', () => {
    // "plans" is in every context, "refund" in one: a sentence with only "plans" covers little.
    const ranked = rankSentences('refund plans', [
      { marker: 1, text: 'Plans renew every year on the same date.' },
      { marker: 2, text: 'Refund requests for plans go to billing.' },
    ]);
    const common = Math.log(1 + 0.5 / 2.5);
    const rare = Math.log(1 + 1.5 / 1.5);
    expect(ranked[0]?.marker).toBe(2);
    expect(ranked[1]?.relevance).toBeCloseTo(common / (common + rare), 10);
  });

  it('weighs a question word no context has like the least informative word that occurs', () => {
    // "warranty" is in two of three contexts, "long" in none: each weighs ln(1 + 1.5/2.5).
    const ranked = rankSentences('How long is the warranty?', [
      { marker: 1, text: 'The warranty covers defects for two years.' },
      { marker: 2, text: 'A warranty claim starts in the portal.' },
      { marker: 3, text: 'Refunds go to the original card.' },
    ]);
    expect(ranked[0]?.text).toBe('The warranty covers defects for two years.');
    expect(ranked[0]?.relevance).toBeCloseTo(0.5, 10);
    expect(ranked[0]?.matchedTerms).toEqual(['warranty']);
  });

  it('breaks a relevance tie by retrieval order', () => {
    const ranked = rankSentences('Where are invoices stored?', [
      { marker: 1, text: 'Invoices are stored in the billing bucket.' },
      { marker: 2, text: 'Invoices are stored in the billing bucket.' },
    ]);
    expect(ranked.map((sentence) => sentence.marker)).toEqual([1, 2]);
    expect(ranked[0]?.relevance).toBe(ranked[1]?.relevance);
    expect(ranked[0]?.score).toBeGreaterThan(ranked[1]?.score ?? 0);
  });

  it('skips fragments shorter than three words', () => {
    const ranked = rankSentences('refund policy', [{ marker: 1, text: 'Refund policy. The refund policy is strict.' }]);
    expect(ranked.map((sentence) => sentence.text)).toEqual(['The refund policy is strict.']);
  });

  it('returns nothing for a question without content terms or without contexts', () => {
    expect(rankSentences('What is it?', contexts)).toEqual([]);
    expect(rankSentences('How long are audit logs kept?', [])).toEqual([]);
  });
});
