import { describe, expect, it } from 'vitest';
import { base64Float32, embeddingsRequestSchema } from './embeddings-routes.js';

describe('base64Float32', () => {
  it('writes float32 values little-endian, as OpenAI encodes embeddings', () => {
    const bytes = Buffer.from(base64Float32([1, -2.5]), 'base64');
    // 1.0f = 0x3f800000, -2.5f = 0xc0200000: least significant byte first.
    expect([...bytes]).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0]);
  });

  it('round-trips to the float32 rounding of each value', () => {
    const vector = [0.1, -0.333, 12345.678, 0];
    const bytes = Buffer.from(base64Float32(vector), 'base64');
    const decoded = Array.from({ length: vector.length }, (_, i) => bytes.readFloatLE(i * 4));
    expect(decoded).toEqual(vector.map((value) => Math.fround(value)));
    expect(base64Float32([])).toBe('');
  });
});

describe('embeddingsRequestSchema', () => {
  it('takes a string or strings, and tolerates fields it does not use', () => {
    expect(embeddingsRequestSchema.parse({ model: 'm', input: 'a', user: 'u', extra: 1 })).toMatchObject({
      input: 'a',
    });
    expect(embeddingsRequestSchema.parse({ model: 'm', input: ['a', 'b'], encoding_format: null }).input).toEqual([
      'a',
      'b',
    ]);
  });

  it('refuses token arrays and unknown encodings, naming the field', () => {
    const tokens = embeddingsRequestSchema.safeParse({ model: 'm', input: [1, 2, 3] });
    expect(tokens.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['input', 'must be a string or an array of strings (token arrays are not supported)'],
    ]);
    const encoding = embeddingsRequestSchema.safeParse({ model: 'm', input: 'a', encoding_format: 'int8' });
    expect(encoding.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['encoding_format']);
  });
});
