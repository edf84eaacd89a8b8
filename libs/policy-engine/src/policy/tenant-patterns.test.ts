import { describe, expect, it } from 'vitest';
import { compileTenantPattern } from './tenant-patterns.js';

describe('tenant patterns on RE2', () => {
  it('finishes a catastrophic-backtracking pattern in linear time', () => {
    const compiled = compileTenantPattern('(a+)+$');
    if (!compiled.ok) throw new Error(compiled.reason);
    const text = `${'a'.repeat(50_000)}b`;
    // A backtracking engine needs on the order of 2^50000 steps here: the same pattern on
    // JavaScript's RegExp does not finish for 30 characters in a second.
    const startedAt = performance.now();
    const spans = compiled.pattern.matchAll(text);
    expect(performance.now() - startedAt).toBeLessThan(1_000);
    expect(spans).toEqual([]);
  });

  it('reports every match with UTF-16 offsets', () => {
    const compiled = compileTenantPattern('EMP-[0-9]{6}');
    if (!compiled.ok) throw new Error(compiled.reason);
    const text = 'héllo 😀 EMP-123456 and EMP-654321';
    expect(compiled.pattern.matchAll(text).map(({ start, end }) => text.slice(start, end))).toEqual([
      'EMP-123456',
      'EMP-654321',
    ]);
  });

  it('matches case-insensitively when asked', () => {
    const compiled = compileTenantPattern('project [a-z]+', { caseInsensitive: true });
    if (!compiled.ok) throw new Error(compiled.reason);
    expect(compiled.pattern.matchAll('PROJECT Falcon')).toEqual([{ start: 0, end: 14 }]);
  });

  it.each([
    ['(a)\\1', /backreferences cannot run in linear time/],
    ['(?<name>a)\\k<name>', /backreferences/],
    ['foo(?=bar)', /lookahead and lookbehind cannot run in linear time/],
    ['(?<!x)foo', /lookahead and lookbehind/],
    ['(?!x)foo', /lookahead and lookbehind/],
    ['[a-', /not a valid RE2 pattern: missing closing \]/],
    ['a{2000}', /invalid repeat count/],
    ['', /is empty/],
    ['x*', /matches the empty string/],
  ])('refuses %s with a clear reason', (source, reason) => {
    const compiled = compileTenantPattern(source);
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) expect(compiled.reason).toMatch(reason);
  });

  it('refuses a pattern over the length limit', () => {
    const compiled = compileTenantPattern('a'.repeat(1001));
    expect(compiled).toEqual({ ok: false, reason: 'is longer than 1000 characters' });
  });
});
