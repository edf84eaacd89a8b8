import { describe, expect, it } from 'vitest';
import { extractClaims, isAbstention, splitClauses } from './claims.js';

describe('extractClaims', () => {
  it('turns sentences into claims and strips their citation markers', () => {
    const { claims, markerCount } = extractClaims(
      'Refunds take 5 business days [1]. Shipping is refunded for damaged products [2, 3]. It is free otherwise.',
    );
    expect(claims.map((claim) => claim.text)).toEqual([
      'Refunds take 5 business days.',
      'Shipping is refunded for damaged products.',
      'It is free otherwise.',
    ]);
    expect(claims.map((claim) => claim.citationMarkers)).toEqual([['[1]'], ['[2, 3]'], []]);
    expect(markerCount).toBe(2);
  });

  it('skips fragments without content words', () => {
    expect(extractClaims('Yes. It is.').claims).toEqual([]);
  });

  it('treats declining sentences as abstentions, not claims', () => {
    const extraction = extractClaims(
      'Refunds take 5 business days [1]. I could not find anything about exchanges in the documents.',
    );
    expect(extraction.claims).toHaveLength(1);
    expect(extraction.abstentions).toEqual(['I could not find anything about exchanges in the documents.']);
  });

  it('splits a sentence that joins independent clauses, and cites every clause', () => {
    const { claims } = extractClaims('Batteries are covered for 18 months, and the warranty is free for life [1].');
    expect(claims.map((claim) => claim.text)).toEqual([
      'Batteries are covered for 18 months',
      'and the warranty is free for life.',
    ]);
    expect(claims.every((claim) => claim.citationMarkers.length === 1)).toBe(true);
  });
});

describe('splitClauses', () => {
  it('keeps a piece too short to stand alone with its neighbour', () => {
    expect(splitClauses('Returns are accepted within 30 days, so yes.')).toEqual([
      'Returns are accepted within 30 days, so yes.',
    ]);
    expect(splitClauses('Maps stay in the region; logs go after 90 days.')).toEqual([
      'Maps stay in the region',
      'logs go after 90 days.',
    ]);
  });
});

describe('isAbstention', () => {
  it.each([
    'I could not find this in the provided documents.',
    "I don't know.",
    'I cannot answer that from the sources.',
    'There is not enough information to answer.',
    'The provided context does not mention prices.',
    'This is not covered in the documents.',
  ])('recognises "%s"', (sentence) => {
    expect(isAbstention(sentence)).toBe(true);
  });

  it.each(['The warranty does not cover water damage.', 'Refunds are issued within 5 business days.'])(
    'does not mistake "%s" for one',
    (sentence) => {
      expect(isAbstention(sentence)).toBe(false);
    },
  );
});
