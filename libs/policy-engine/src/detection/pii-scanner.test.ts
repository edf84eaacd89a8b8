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

  it('finds personal data written with fullwidth digits, zero-width joiners or look-alikes, at original offsets', () => {
    const cases: [string, string, string][] = [
      ['card ４１１１ １１１１ １１１１ １１１１ ok', 'pii.payment_card', '４１１１ １１１１ １１１１ １１１１'],
      ['card 4111\u200d1111\u200d1111\u200d1111 ok', 'pii.payment_card', '4111\u200d1111\u200d1111\u200d1111'],
      ['call ٤١٥-٥٥٥-٢٦٧١ now', 'pii.phone', '٤١٥-٥٥٥-٢٦٧١'],
      ['call (415)\u200b555-2671 now', 'pii.phone', '(415)\u200b555-2671'],
      ['mail аnn@ехаmple.com today', 'pii.email', 'аnn@ехаmple.com'],
      ['mail ann\u200d@example.com today', 'pii.email', 'ann\u200d@example.com'],
      ['mail ａｎｎ＠ｅｘａｍｐｌｅ．ｃｏｍ today', 'pii.email', 'ａｎｎ＠ｅｘａｍｐｌｅ．ｃｏｍ'],
      ['SSN ５３６-２２-１２３４.', 'pii.us_ssn', '５３６-２２-１２３４'],
      ['key ΑΚΙΑIOSFODNN7EXAMPLE\u202e end', 'secret.aws_access_key', 'ΑΚΙΑIOSFODNN7EXAMPLE'],
      ['ask Mаria Lindqvist today', 'pii.person', 'Mаria Lindqvist'],
      ['ask Mar\u200dia Lindqvist today', 'pii.person', 'Mar\u200dia Lindqvist'],
    ];
    for (const [text, type, original] of cases) {
      const findings = scan(text);
      expect(
        findings.map((f) => [f.type, text.slice(f.start, f.end)]),
        JSON.stringify(text),
      ).toEqual([[type, original]]);
    }
  });

  it('redacts person names with a typed placeholder next to the other kinds', () => {
    const text = 'Ask Maria Lindqvist (maria@example.com) or call her on 415-555-2671.';
    expect(redact(text, scan(text))).toBe('Ask [PERSON] ([EMAIL]) or call her on [PHONE].');
  });

  it('lets a secret win over what its characters also look like', () => {
    const text = 'token ghp_4111111111111111aaaaaaaaaaaaaaaaaaaa here';
    expect(scan(text).map((f) => f.type)).toEqual(['secret.github_token']);
  });

  it('stays linear on adversarial shapes at the Check limit', () => {
    const limit = 262_144;
    const inputs = [
      '1.',
      '1-',
      'born ',
      'a.',
      '1 ',
      'key = ',
      'a:',
      '-----BEGIN PRIVATE KEY-----',
      'call 1 ',
      'card 411111111111 ',
      'Phone:\n',
      'Maria ',
      'my name is ',
      'Dr. A. ',
    ].map((unit) => unit.repeat(Math.floor(limit / unit.length)));
    for (const input of inputs) {
      const startedAt = performance.now();
      scan(input);
      // At most about 160 ms each here.
      expect(performance.now() - startedAt, JSON.stringify(input.slice(0, 12))).toBeLessThan(1_500);
    }
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

  it('returns the text unchanged without findings and replaces overlapping spans as one', () => {
    expect(redact('nothing here', [])).toBe('nothing here');
    const overlapping = [
      { type: 'pii.email' as const, start: 0, end: 5, ruleId: 'r', confidence: 1 },
      { type: 'pii.phone' as const, start: 3, end: 8, ruleId: 'r', confidence: 1 },
    ];
    expect(redact('0123456789', overlapping)).toBe('[EMAIL]89');
  });

  it('keeps typed placeholders for every kind, [SECRET] for every secret', () => {
    const text =
      'IBAN GB82 WEST 1234 5698 7654 32, SSN 536-22-1234, from 192.168.10.7, born on 1984-03-07, key AKIAIOSFODNN7EXAMPLE.';
    expect(redact(text, scan(text))).toBe(
      'IBAN [IBAN], SSN [SSN], from [IP_ADDRESS], born on [DATE_OF_BIRTH], key [SECRET].',
    );
  });
});
