import { describe, expect, it } from 'vitest';
import { contentTerms } from './content-terms.js';
import { ClaimBits, ContextIndex, WorkBudget } from './context-index.js';
import { longestCommonSubsequence, prepareChunk, supportOf } from './support.js';

/** mulberry32: reproducible random cases. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'robot',
  'warranty',
  'battery',
  'covers',
  'dock',
  'refund',
  'days',
  'months',
  'two',
  '18',
  '500',
  '30',
  'water',
  'damage',
  'not',
  'never',
  'the',
  'is',
  'and',
  'filters',
  'returned',
];

function sentence(random: () => number, words: number): string {
  const picked = Array.from({ length: words }, () => WORDS[Math.floor(random() * WORDS.length)] ?? 'robot');
  const separator = random() < 0.15 ? ', ' : ' ';
  return `${picked.join(separator)}.`;
}

function text(random: () => number, sentences: number, words: () => number): string {
  return Array.from({ length: sentences }, () => sentence(random, words())).join(random() < 0.2 ? '\n\n' : ' ');
}

/** What score-answer.ts did before the index: every chunk, every window, best first chunk wins. */
function reference(claimTerms: string[], contexts: { chunkId: string; text: string }[]) {
  let best = { chunkId: '', support: 0 };
  for (const context of contexts) {
    const support = supportOf(claimTerms, prepareChunk(context.chunkId, context.text));
    if (support > best.support) best = { chunkId: context.chunkId, support };
  }
  return best;
}

describe('ClaimBits', () => {
  it('computes the longest common subsequence, bit-parallel, for claims of any length', () => {
    const random = seeded(7);
    const alphabet = ['a', 'b', 'c', 'd', 'e'];
    for (const length of [1, 2, 5, 31, 32, 33, 63, 64, 65, 100, 200]) {
      for (let round = 0; round < 20; round++) {
        const claim = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)] ?? 'a');
        const other = Array.from(
          { length: Math.floor(random() * 150) },
          () => alphabet[Math.floor(random() * 4)] ?? 'a',
        );
        expect(new ClaimBits(claim).lcsWith(other), `${claim.join('')} / ${other.join('')}`).toBe(
          longestCommonSubsequence(claim, other),
        );
      }
    }
  });
});

describe('ContextIndex', () => {
  it('finds exactly the best support and supporting chunk that comparing every window finds', () => {
    const random = seeded(42);
    for (let round = 0; round < 150; round++) {
      const contexts = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, index) => ({
        chunkId: `c${index}`,
        text: text(random, 1 + Math.floor(random() * 6), () => 3 + Math.floor(random() * 8)),
      }));
      // Copies of a chunk make ties: the first one must win, as before.
      if (random() < 0.3 && contexts[0]) contexts.push({ chunkId: 'copy', text: contexts[0].text });
      const index = new ContextIndex(contexts);
      for (let claimRound = 0; claimRound < 8; claimRound++) {
        const long = random() < 0.1;
        const claim = contentTerms(
          sentence(random, long ? 40 + Math.floor(random() * 40) : 2 + Math.floor(random() * 9)),
        );
        const found = index.bestSupport(claim, new WorkBudget(Number.POSITIVE_INFINITY));
        const expected = reference(claim, contexts);
        expect({ chunkId: found.chunkId, support: found.support }, JSON.stringify({ claim, contexts })).toEqual(
          expected,
        );
        expect(found.complete).toBe(true);
      }
    }
  });

  it('stops at the work budget and says the support is only a lower bound', () => {
    const contexts = [{ chunkId: 'c1', text: 'The robot covers water damage. The dock is not water proof.' }];
    const claim = contentTerms('The robot covers water damage.');
    const index = new ContextIndex(contexts);
    expect(index.bestSupport(claim, new WorkBudget(1_000))).toEqual({ chunkId: 'c1', support: 1, complete: true });
    const starved = index.bestSupport(claim, new WorkBudget(1));
    expect(starved.complete).toBe(false);
    expect(starved.support).toBeLessThanOrEqual(1);
  });
});
