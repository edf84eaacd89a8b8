import { describe, expect, it } from 'vitest';
import { chunksOfMarker, markerNumbers } from './citation-validity.js';
import { scoreAnswer } from './score-answer.js';
import { refundsContext, returnsContext, warrantyContext, wifiContext } from './testing/demo-contexts.js';

const contexts = [warrantyContext, returnsContext, wifiContext, refundsContext];
const citations = contexts.map((context, index) => ({ marker: index + 1, chunkId: context.chunkId }));

function validity(answer: string, options: { citations?: typeof citations } = { citations }) {
  const scores = scoreAnswer({ answer, contexts, question: '', ...options }, { online: true });
  const metric = scores.metrics.find((score) => score.metric === 'citation_validity');
  return { value: metric?.value, explanation: metric?.explanation, checks: scores.citationChecks ?? [] };
}

describe('markerNumbers', () => {
  it('reads single, listed, ranged and footnote markers', () => {
    expect(markerNumbers('[1]')).toEqual([1]);
    expect(markerNumbers('[1, 3]')).toEqual([1, 3]);
    expect(markerNumbers('[2-4]')).toEqual([2, 3, 4]);
    expect(markerNumbers('[^5]')).toEqual([5]);
    expect(markerNumbers('[1-900]')).toHaveLength(20);
  });
});

describe('chunksOfMarker', () => {
  it('prefers the citations carrying the marker, else the n-th context', () => {
    expect(chunksOfMarker(2, [{ marker: 2, chunkId: 'setup#1' }], contexts)).toEqual(['setup#1']);
    expect(chunksOfMarker(2, [], contexts)).toEqual(['returns#0']);
    expect(chunksOfMarker(9, [], contexts)).toEqual([]);
  });
});

describe('citation validity', () => {
  it('passes citations that point at the passage they quote or paraphrase', () => {
    const { value, checks } = validity(
      'Every Northwind robot has a two-year limited warranty [1]. Robots can be returned within 30 days of delivery [2]. The robot needs a 2.4 GHz Wi-Fi network [3].',
    );
    expect(value).toBe(1);
    expect(checks.map((check) => [check.marker, check.chunkId, check.valid])).toEqual([
      [1, 'warranty#0', true],
      [2, 'returns#0', true],
      [3, 'setup#1', true],
    ]);
  });

  it('fails a true sentence that cites the wrong passage, though groundedness passes it', () => {
    const answer =
      'Every Northwind robot has a two-year limited warranty [2]. Refunds are issued within 5 business days [4].';
    const { value, checks } = validity(answer);
    expect(value).toBe(0.5);
    expect(checks[0]).toMatchObject({ marker: 2, valid: false });
    expect(scoreAnswer({ answer, contexts }).groundedness).toBe(1);
  });

  it('fails a marker that names no retrieved passage, and says so', () => {
    const { value, explanation } = validity('Every Northwind robot has a two-year limited warranty [7].');
    expect(value).toBe(0);
    expect(explanation).toContain('1 name no retrieved passage');
  });

  it('checks every number of a listed marker, and falls back to the n-th context without citations', () => {
    const { value, checks } = validity('Robots can be returned within 30 days of delivery [1, 2].', {});
    expect(checks.map((check) => [check.marker, check.valid])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(value).toBe(0.5);
  });

  it('a wrong number in the cited passage is not support', () => {
    expect(validity('Robots can be returned within 60 days of delivery [2].').value).toBe(0);
  });

  it('scores 1 when nothing is cited', () => {
    expect(validity('Every Northwind robot has a two-year limited warranty.')).toMatchObject({
      value: 1,
      explanation: 'no claim carries a citation marker',
    });
  });
});
