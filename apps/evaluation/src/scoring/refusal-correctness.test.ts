import { describe, expect, it } from 'vitest';
import { scoreAnswer } from './score-answer.js';
import { returnsContext, warrantyContext, wifiContext } from './testing/demo-contexts.js';

const contexts = [warrantyContext, returnsContext, wifiContext];
const decline = 'I could not find this in the indexed documents.';

function refusal(question: string, answer: string, given = contexts) {
  const scores = scoreAnswer({ question, answer, contexts: given }, { online: true });
  return scores.metrics.find((score) => score.metric === 'refusal_correctness');
}

describe('refusal correctness', () => {
  it('a decline is correct when no context covers the question', () => {
    expect(refusal('What does the Northwind Care extension cost for lawn robots?', decline)?.value).toBe(1);
    expect(refusal('Can I pay with a credit card?', decline)?.value).toBe(1);
    expect(refusal('How long is the warranty?', decline, [])?.value).toBe(1);
  });

  it('a decline is wrong when a context covers the question', () => {
    const metric = refusal('How long is the warranty of a Northwind robot?', decline);
    expect(metric?.value).toBe(0);
    expect(metric?.explanation).toContain('context warranty#0 covers the question');
    expect(refusal('Within how many days can I return a robot vacuum?', decline)?.value).toBe(0);
    expect(refusal('Which Wi-Fi network does the robot need?', decline)?.value).toBe(0);
  });

  it('an answer is correct when its claims are supported, wrong when they are not', () => {
    expect(
      refusal('How long is the warranty?', 'Every Northwind robot carries a two-year limited warranty [1].')?.value,
    ).toBe(1);
    const invented = refusal('Can I pay with a credit card?', 'Yes, all major credit cards and PayPal are accepted.');
    expect(invented?.value).toBe(0);
    expect(invented?.explanation).toContain('it should have declined');
  });
});
