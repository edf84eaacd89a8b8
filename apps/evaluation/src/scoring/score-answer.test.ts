import { describe, expect, it } from 'vitest';
import { EVALUATOR_VERSION, scoreAnswer } from './score-answer.js';

const contexts = [
  { chunkId: 'refunds', text: 'Refunds are issued to the original payment method within 5 business days.' },
  { chunkId: 'returns', text: 'Customers can return any robot within 30 days of delivery.' },
];

describe('scoreAnswer', () => {
  it('scores the share of supported claims and names the supporting chunk', () => {
    const scores = scoreAnswer({
      answer:
        'Refunds are issued to the original payment method within 5 business days [1]. Robots come with free pizza.',
      contexts,
    });
    expect(scores.groundedness).toBe(0.5);
    expect(scores.verdicts).toEqual([
      expect.objectContaining({ supported: true, supportingChunkId: 'refunds', support: 1, cited: true }),
      expect.objectContaining({ claim: 'Robots come with free pizza.', supported: false, cited: false }),
    ]);
    expect(scores.citationCoverage).toBe(0.5);
    expect(scores.evaluatorVersion).toBe(EVALUATOR_VERSION);
    expect(scores.metrics.map((metric) => [metric.metric, metric.value])).toEqual([
      ['groundedness', 0.5],
      ['citation_coverage', 0.5],
    ]);
    expect(scores.metrics[0]?.explanation).toBe('1 of 2 claims supported by a context (support >= 0.7)');
  });

  it('applies the claim threshold it is given', () => {
    const answer = 'Customers can return any robot within 30 days, even when it is opened and used.';
    const lenient = scoreAnswer({ answer, contexts }, { claimThreshold: 0.3 });
    const strict = scoreAnswer({ answer, contexts }, { claimThreshold: 0.95 });
    expect(lenient.groundedness).toBe(1);
    expect(strict.groundedness).toBe(0);
    expect(strict.claimThreshold).toBe(0.95);
  });

  it('scores a decline without citations as grounded', () => {
    const scores = scoreAnswer({ answer: 'I could not find this in the indexed documents.', contexts });
    expect(scores).toMatchObject({ groundedness: 1, citationCoverage: 1, abstained: true, verdicts: [] });
    expect(scores.metrics[0]?.explanation).toBe('the answer declines and makes no claims');
  });

  it('scores a claim-less answer that cites sources as ungrounded', () => {
    const scores = scoreAnswer({ answer: 'I could not find this [1].', contexts });
    expect(scores).toMatchObject({ groundedness: 0, citationCoverage: 0 });
  });

  it('scores every claim unsupported when there are no contexts', () => {
    const scores = scoreAnswer({ answer: 'Refunds take 5 business days.', contexts: [] });
    expect(scores.groundedness).toBe(0);
    expect(scores.verdicts[0]).toMatchObject({ supportingChunkId: '', support: 0, supported: false });
  });

  it('is deterministic', () => {
    const input = { answer: 'Customers can return robots within 30 days [2]. Refunds are fast.', contexts };
    expect(scoreAnswer(input)).toEqual(scoreAnswer(input));
  });

  it('scores the embedded extractive answerer format (marker after the full stop) as fully grounded', () => {
    const scores = scoreAnswer({
      answer:
        'Refunds are issued to the original payment method within 5 business days. [1] Customers can return any robot within 30 days of delivery. [2]',
      contexts,
    });
    expect(scores.groundedness).toBe(1);
    expect(scores.citationCoverage).toBe(1);
  });
});
