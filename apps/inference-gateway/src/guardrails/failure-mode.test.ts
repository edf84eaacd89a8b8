import { describe, expect, it } from 'vitest';
import { failureModeOf, parseFailureModes } from './failure-mode.js';

describe('parseFailureModes', () => {
  it('fails closed by default', () => {
    const modes = parseFailureModes(undefined);
    expect(failureModeOf(modes, 'acme')).toBe('closed');
    expect(failureModeOf(parseFailureModes('  '), 'acme')).toBe('closed');
  });

  it('reads a default and per-tenant overrides', () => {
    const modes = parseFailureModes('open, acme=closed ,beta=open');
    expect(failureModeOf(modes, 'acme')).toBe('closed');
    expect(failureModeOf(modes, 'beta')).toBe('open');
    expect(failureModeOf(modes, 'other')).toBe('open');
    expect(failureModeOf(parseFailureModes('default=closed,acme=open'), 'acme')).toBe('open');
    expect(failureModeOf(parseFailureModes('acme=open'), 'zeta')).toBe('closed');
  });

  it('names the entry that is wrong', () => {
    expect(() => parseFailureModes('ajar')).toThrow('"ajar"');
    expect(() => parseFailureModes('acme=sideways')).toThrow('"acme=sideways"');
    expect(() => parseFailureModes('open,closed')).toThrow('default is given twice');
    expect(() => parseFailureModes('acme=open,acme=closed')).toThrow('tenant acme is given twice');
    expect(() => parseFailureModes('a b=open')).toThrow('not a tenant id');
  });
});
