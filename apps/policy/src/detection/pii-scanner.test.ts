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
