import { describe, expect, it } from 'vitest';
import {
  addObservation,
  type DriftObservation,
  emptyWindow,
  findDrifts,
  offerToSample,
  startsNewWindow,
  summarize,
  type WindowSpec,
} from './drift-window.js';

const answers: WindowSpec = { kind: 'answers', answers: 4 };

function observation(index: number, overrides: Partial<DriftObservation> = {}): DriftObservation {
  return {
    requestId: `req-${index}`,
    at: 1_000 + index,
    scores: { groundedness: 1, answer_relevance: 0.5 },
    refused: false,
    retrievalHit: true,
    rank: ((index * 7919) % 101) / 101,
    ...overrides,
  };
}

function windowOf(observations: DriftObservation[], spec: WindowSpec = answers, sampleSize = 2) {
  let window = emptyWindow(0);
  for (const item of observations) window = addObservation(spec, window, item, sampleSize).window;
  return window;
}

describe('drift windows', () => {
  it('summarizes mean scores, refusal and retrieval hit rates', () => {
    const summary = summarize(
      windowOf([
        observation(1),
        observation(2, { scores: { groundedness: 0 }, refused: true }),
        observation(3, { retrievalHit: false }),
        observation(4, { scores: { groundedness: 0.5, latency_ms: 900 } }),
      ]),
    );
    expect(summary.values).toEqual({
      groundedness: 0.625,
      answer_relevance: 0.5,
      refusal_rate: 0.25,
      retrieval_hit_rate: 0.75,
    });
    expect(summary.counts).toMatchObject({ groundedness: 4, answer_relevance: 2 });
    expect(summary).toMatchObject({ count: 4, start: 1_001, end: 1_004 });
  });

  it('keeps the same bottom-k sample whatever the order of arrival', () => {
    const items = Array.from({ length: 30 }, (_, index) => observation(index));
    const forward = windowOf(items, { kind: 'answers', answers: 100 }, 3).sample;
    const backward = windowOf([...items].reverse(), { kind: 'answers', answers: 100 }, 3).sample;
    expect(forward).toEqual(backward);
    expect(forward.map((entry) => entry.rank)).toEqual(
      items
        .map((item) => item.rank)
        .sort((a, b) => a - b)
        .slice(0, 3),
    );
    expect(offerToSample([], { requestId: 'x', rank: 0.5 }, 0)).toBeNull();
  });

  it('cuts time windows at aligned spans', () => {
    const spec: WindowSpec = { kind: 'time', ms: 60_000 };
    const window = windowOf([observation(1, { at: 120_000 }), observation(2, { at: 179_999 })], spec);
    expect(startsNewWindow(spec, window, observation(3, { at: 179_999 }))).toBe(false);
    expect(startsNewWindow(spec, window, observation(3, { at: 180_000 }))).toBe(true);
  });

  it('finds drops beyond the threshold, rises for the refusal rate, and ignores small windows', () => {
    const baseline = summarize(windowOf([1, 2, 3, 4].map((index) => observation(index))));
    const worse = summarize(
      windowOf(
        [1, 2, 3, 4].map((index) =>
          observation(index, { scores: { groundedness: 0.8, answer_relevance: 0.45 }, refused: index === 1 }),
        ),
      ),
    );
    expect(findDrifts(baseline, worse, 0.1, 4)).toEqual([
      { metric: 'groundedness', baseline: 1, value: 0.8, drop: 0.2 },
      { metric: 'refusal_rate', baseline: 0, value: 0.25, drop: 0.25 },
    ]);
    expect(findDrifts(baseline, worse, 0.3, 4)).toEqual([]);
    expect(findDrifts(baseline, worse, 0.1, 5)).toEqual([]);
    // Better is never a drift.
    expect(findDrifts(worse, baseline, 0.1, 4)).toEqual([]);
  });
});
