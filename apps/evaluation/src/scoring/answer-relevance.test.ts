import { describe, expect, it } from 'vitest';
import { answerRelevance, questionTerms } from './answer-relevance.js';

describe('questionTerms', () => {
  it('keeps what is asked about and leaves the question frame out', () => {
    expect(questionTerms('How many days do I have to return a lawn robot?')).toEqual([
      'day',
      'return',
      'lawn',
      'robot',
    ]);
    expect(questionTerms('Does the warranty not cover water damage?')).toEqual(['warranty', 'cover', 'water', 'damag']);
  });

  it('keeps frame words when there is nothing else', () => {
    expect(questionTerms('How long?')).toEqual(['long']);
  });
});

describe('answer relevance', () => {
  const question = 'How many days do I have to return a lawn robot?';
  const cases: { answer: string; atLeast?: number; atMost?: number }[] = [
    { answer: 'You can return a lawn robot within 30 days of delivery.', atLeast: 1 },
    { answer: 'Returns of any robot are accepted for 30 days.', atLeast: 0.75 },
    { answer: 'The warranty covers defects in materials for two years.', atMost: 0 },
    { answer: 'The robot needs a 2.4 GHz Wi-Fi network.', atMost: 0.25 },
    { answer: '', atMost: 0 },
  ];
  it.each(cases)('$answer', ({ answer, atLeast, atMost }) => {
    const { value } = answerRelevance(question, answer, false);
    if (atLeast !== undefined) expect(value).toBeGreaterThanOrEqual(atLeast);
    if (atMost !== undefined) expect(value).toBeLessThanOrEqual(atMost);
  });

  it('names the terms left unaddressed', () => {
    expect(answerRelevance(question, 'Robots can be returned.', false)).toMatchObject({
      value: 0.5,
      explanation: '2 of 4 question terms addressed by the answer (not: day, lawn)',
    });
  });

  it('leaves declines and empty questions to other metrics', () => {
    expect(answerRelevance(question, 'I could not find this in the documents.', true).value).toBe(1);
    expect(answerRelevance('What?', 'Anything at all.', false).value).toBe(1);
  });

  it('cannot see synonyms (a documented limit)', () => {
    expect(
      answerRelevance('How much annual leave do employees get?', 'Staff have 25 vacation days.', false).value,
    ).toBe(0);
  });
});
