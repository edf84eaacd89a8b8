import { describe, expect, it } from 'vitest';
import { contentTerms, foldSuffix } from './terms.js';

describe('contentTerms', () => {
  it('lowercases, drops stopwords and folds inflections', () => {
    expect(contentTerms('How long are the Audit Logs kept for refunded orders?')).toEqual([
      'long',
      'audit',
      'log',
      'kept',
      'refund',
      'order',
    ]);
  });

  it('normalises compatibility characters (NFKC) and possessives', () => {
    expect(contentTerms('Ｋｅｅｌ’s ﬁles')).toEqual(['keel', 'file']);
  });

  it('keeps numbers as terms', () => {
    expect(contentTerms('Retention is 90 days')).toEqual(['retention', '90', 'day']);
  });
});

describe('foldSuffix', () => {
  it.each([
    ['policies', 'policy'],
    ['indexes', 'index'],
    ['classes', 'class'],
    ['refunds', 'refund'],
    ['uses', 'use'],
    ['status', 'status'],
    ['analysis', 'analysis'],
    ['stopped', 'stop'],
    ['running', 'run'],
    ['billing', 'bill'],
    ['installed', 'install'],
    ['bus', 'bus'],
    ['ties', 'tie'],
  ])('%s → %s', (word, folded) => {
    expect(foldSuffix(word)).toBe(folded);
  });
});
