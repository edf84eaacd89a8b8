import { describe, expect, it } from 'vitest';
import { detectEmails } from './email-detector.js';

function spans(text: string): string[] {
  return detectEmails(text).map((finding) => text.slice(finding.start, finding.end));
}

describe('detectEmails', () => {
  it('finds addresses with exact offsets, without trailing punctuation', () => {
    const text = 'Write to Jane.Doe+billing@mail.example.co.uk, or to ops@keel.dev.';
    const findings = detectEmails(text);
    expect(findings.map((f) => text.slice(f.start, f.end))).toEqual([
      'Jane.Doe+billing@mail.example.co.uk',
      'ops@keel.dev',
    ]);
    expect(findings[1]).toMatchObject({ type: 'pii.email', start: 52, end: 64, ruleId: 'pii.email.dot-atom' });
  });

  it('finds an address inside brackets or after a colon', () => {
    expect(spans('<a@b.io> mailto:x_y@host-name.org (c@d.fr)')).toEqual(['a@b.io', 'x_y@host-name.org', 'c@d.fr']);
  });

  it('rejects things that only look similar', () => {
    expect(spans('user@localhost, @handle, a@b, name@domain.c, x@-bad.com, v1.2@3, .a@b')).toEqual([]);
    // Consecutive dots are not a dot-atom, and no address starts in the middle of one.
    expect(spans('two..dots@example.com')).toEqual([]);
  });

  it('rejects a local part longer than 64 characters', () => {
    expect(spans(`${'a'.repeat(65)}@example.com`)).toEqual([]);
    expect(spans(`${'a'.repeat(64)}@example.com`)).toHaveLength(1);
  });
});
