import { describe, expect, it } from 'vitest';
import { createPiiScanner } from './pii-scanner.js';
import { redact } from './redaction.js';

const scan = createPiiScanner({ phoneRegions: ['US'] });

describe('createPiiScanner', () => {
  it('reports every kind in text order', () => {
    const text = 'Mail ann@example.com or call 415-555-2671; card 4111 1111 1111 1111.';
    expect(scan(text).map((f) => [f.type, text.slice(f.start, f.end)])).toEqual([
      ['pii.email', 'ann@example.com'],
      ['pii.phone', '415-555-2671'],
      ['pii.payment_card', '4111 1111 1111 1111'],
    ]);
  });

  it('lets the more specific detector win an overlap', () => {
    // The digits of this address's local part form a valid US number.
    const text = 'reach 4155552671@sms.example.com';
    expect(scan(text).map((f) => f.type)).toEqual(['pii.email']);
  });

  it('stays linear on a text dense with personal data (a quadratic overlap check took seconds)', () => {
    const unit = 'Mail ann@example.com or call 415-555-2671; card 4111 1111 1111 1111. ';
    const text = unit.repeat(Math.ceil(1_048_576 / unit.length));
    const startedAt = performance.now();
    const findings = scan(text);
    const redacted = redact(text, findings);
    // About half a second here; the comparison of every finding with every other took minutes.
    expect(performance.now() - startedAt).toBeLessThan(5_000);
    expect(findings).toHaveLength(3 * Math.ceil(1_048_576 / unit.length));
    expect(redacted.startsWith('Mail [EMAIL] or call [PHONE]; card [CARD]. Mail [EMAIL]')).toBe(true);
  });

  it('finds every card of a run of thousands without overflowing the call stack', () => {
    // Cards separated by single spaces are one run of digit groups: 200,000 findings from one run.
    const text = '4111 1111 1111 1111 '.repeat(200_000).trim();
    const findings = scan(text);
    expect(findings).toHaveLength(200_000);
    expect(findings.every((finding) => finding.type === 'pii.payment_card')).toBe(true);
  });

  it('finds nothing in clean text', () => {
    expect(scan('Annual plans can be refunded within 30 days of purchase.')).toEqual([]);
  });
});

describe('redact', () => {
  it('replaces each span with its label', () => {
    const text = 'Mail ann@example.com or call 415-555-2671; card 4111 1111 1111 1111.';
    expect(redact(text, scan(text))).toBe('Mail [EMAIL] or call [PHONE]; card [CARD].');
  });

  it('uses custom labels', () => {
    const text = 'ann@example.com';
    expect(
      redact(text, scan(text), { 'pii.email': '<email>', 'pii.phone': '<phone>', 'pii.payment_card': '<card>' }),
    ).toBe('<email>');
  });

  it('returns the text unchanged without findings and refuses overlapping spans', () => {
    expect(redact('nothing here', [])).toBe('nothing here');
    const overlapping = [
      { type: 'pii.email' as const, start: 0, end: 5, ruleId: 'r', confidence: 1 },
      { type: 'pii.phone' as const, start: 3, end: 8, ruleId: 'r', confidence: 1 },
    ];
    expect(() => redact('0123456789', overlapping)).toThrow(/overlap/);
  });
});
