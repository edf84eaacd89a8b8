import { describe, expect, it } from 'vitest';
import { detectPaymentCards } from './card-detector.js';
import { cardNetworkOf } from './card-networks.js';

function spans(text: string): string[] {
  return detectPaymentCards(text).map((finding) => text.slice(finding.start, finding.end));
}

describe('cardNetworkOf', () => {
  it.each([
    ['4111111111111111', 'visa'],
    ['5555555555554444', 'mastercard'],
    ['2223003122003222', 'mastercard'],
    ['378282246310005', 'amex'],
    ['6011111111111117', 'discover'],
    ['3530111333300000', 'jcb'],
    ['30569309025904', 'diners'],
    ['6200000000000005', 'unionpay'],
    ['501800000009', 'maestro'],
  ])('%s is %s', (digits, network) => {
    expect(cardNetworkOf(digits)?.name).toBe(network);
  });

  it('needs a length the network issues', () => {
    // Amex numbers are 15 digits; a 16-digit number starting 37 is nothing.
    expect(cardNetworkOf('3782822463100051')).toBeUndefined();
    expect(cardNetworkOf('9111111111111111')).toBeUndefined();
  });
});

describe('detectPaymentCards', () => {
  it('finds cards written plain, with spaces and with dashes, with exact offsets', () => {
    const text = 'Visa 4111111111111111, MC 5555 5555 5555 4444 and Amex 3782-822463-10005.';
    const findings = detectPaymentCards(text);
    expect(findings.map((f) => text.slice(f.start, f.end))).toEqual([
      '4111111111111111',
      '5555 5555 5555 4444',
      '3782-822463-10005',
    ]);
    expect(findings[0]).toEqual({
      type: 'pii.payment_card',
      start: 5,
      end: 21,
      ruleId: 'pii.payment_card.luhn-iin',
      confidence: 0.99,
    });
  });

  it('rejects numbers failing Luhn or outside issued ranges', () => {
    expect(spans('order 4111111111111112 and 9111111111111111 and 1234567812345678')).toEqual([]);
  });

  it('never carves a card out of a longer digit run', () => {
    expect(spans('tracking 94111111111111111 and 41111111111111110000')).toEqual([]);
  });

  it('finds the card in a run of groups followed by other numbers', () => {
    expect(spans('card 4111 1111 1111 1111 12 25 cvv 123')).toEqual(['4111 1111 1111 1111']);
    expect(spans('codes 555 4111 1111 1111 1111')).toEqual(['4111 1111 1111 1111']);
  });

  it('ignores digits glued to letters, as in an IBAN or a licence number', () => {
    expect(spans('IBAN GB90YNTU4111111111111111, licence U4111111111111111')).toEqual([]);
  });

  it('rejects mixed separators and tiny groups', () => {
    expect(spans('4111 1111-1111 1111')).toEqual([]);
    expect(spans('4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1')).toEqual([]);
  });

  it('ignores numbers that are too short or too long to be cards', () => {
    expect(spans('4111111111 and 41111111111111111111')).toEqual([]);
  });

  it('finds 12-digit Maestro numbers, but no other network at 12 digits', () => {
    // 5018 and 6759 are Maestro ranges; 12 digits, Luhn-valid.
    expect(spans('paid with 501800000009 and 675900000000')).toEqual(['501800000009', '675900000000']);
    // Visa issues no 12-digit numbers.
    expect(spans('order 411111111117')).toEqual([]);
  });

  it('takes a Luhn-valid number outside the IIN table when a card word comes just before it', () => {
    // 3512 is not an issued JCB range (3528-3589), so the number alone is not a card.
    expect(spans('ref 3512345678901236')).toEqual([]);
    expect(spans('my card 3512345678901236 expired')).toEqual(['3512345678901236']);
    expect(spans('credit card # 3512 3456 7890 1236')).toEqual(['3512 3456 7890 1236']);
    // The card word must be close, and Luhn still holds.
    expect(spans('card holder since 2019, account 3512345678901236')).toEqual([]);
    expect(spans('my card 3512345678901235')).toEqual([]);
  });
});
