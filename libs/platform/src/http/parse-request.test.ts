import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { KeelError } from '../errors/keel-error.js';
import { parsePathParams, parseQuery } from './parse-request.js';

describe('parseQuery and parsePathParams', () => {
  const limit = z.object({ limit: z.coerce.number().int().max(100) }).strict();

  it('returns what the schema gives', () => {
    expect(parseQuery(limit, { limit: '5' })).toEqual({ limit: 5 });
    expect(parsePathParams(z.object({ id: z.string() }), { id: 'a' })).toEqual({ id: 'a' });
  });

  it('refuses with a 400 naming each field, or the query or path as a whole', () => {
    const error = (() => {
      try {
        parseQuery(limit, { limit: '500' });
      } catch (thrown) {
        return thrown as KeelError;
      }
    })();
    expect(error).toBeInstanceOf(KeelError);
    expect(error?.httpStatus).toBe(400);
    expect(error?.violations?.[0]?.field).toBe('limit');
    expect(error?.message).toMatch(/^invalid query: limit: /);
    // A repeated parameter arrives as an array: refused, not guessed.
    expect(() => parsePathParams(z.object({ id: z.string() }), { id: ['a', 'b'] })).toThrow(/^invalid path: id: /);
    expect(() => parsePathParams(z.string(), {})).toThrow(/^invalid path: \(path\): /);
  });
});
