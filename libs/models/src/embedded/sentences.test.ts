import { describe, expect, it } from 'vitest';
import { splitSentences } from './sentences.js';

function texts(input: string): string[] {
  return splitSentences(input).map((sentence) => sentence.text);
}

describe('splitSentences', () => {
  it('splits on terminal punctuation and keeps exact offsets', () => {
    const input = 'Refunds take 5 days.  Annual plans are refundable! Are monthly plans? No.';
    const sentences = splitSentences(input);
    expect(sentences.map((s) => s.text)).toEqual([
      'Refunds take 5 days.',
      'Annual plans are refundable!',
      'Are monthly plans?',
      'No.',
    ]);
    for (const sentence of sentences) expect(input.slice(sentence.start, sentence.end)).toBe(sentence.text);
  });

  it('does not split after abbreviations, initials, decimals or before a lowercase word', () => {
    expect(texts('Use a key, e.g. a token. Dr. Smith met J. Doe at 3.5 p.m. today. Done here.')).toEqual([
      'Use a key, e.g. a token.',
      'Dr. Smith met J. Doe at 3.5 p.m. today.',
      'Done here.',
    ]);
  });

  it('drops Markdown headings and fenced code, strips list markers, joins soft-wrapped lines', () => {
    const input = [
      '# Refund policy',
      '',
      'Annual plans can be refunded',
      'within 30 days of purchase.',
      '',
      '- Monthly plans are not refundable.',
      '2) Contact billing for exceptions.',
      '```',
      'refund(plan) // not prose.',
      '```',
    ].join('\n');
    const sentences = splitSentences(input);
    expect(sentences.map((s) => s.text)).toEqual([
      'Annual plans can be refunded\nwithin 30 days of purchase.',
      'Monthly plans are not refundable.',
      'Contact billing for exceptions.',
    ]);
    for (const sentence of sentences) expect(input.slice(sentence.start, sentence.end)).toBe(sentence.text);
  });

  it('keeps a closing quote or bracket with its sentence and returns a trailing fragment', () => {
    expect(texts('He said "stop." Then (finally.) It ended without a period')).toEqual([
      'He said "stop."',
      'Then (finally.)',
      'It ended without a period',
    ]);
  });

  it('returns nothing for blank text', () => {
    expect(splitSentences('  \n\n ')).toEqual([]);
  });
});
