import { describe, expect, it } from 'vitest';
import { detectDatesOfBirth } from './date-of-birth-detector.js';
import { detectIbans } from './iban-detector.js';
import { detectIpAddresses } from './ip-detector.js';
import { detectSecrets, looksRandom } from './secret-detector.js';
import { detectUsSsns, isIssuableSsn } from './ssn-detector.js';

const spans = (findings: { start: number; end: number; type: string }[], text: string) =>
  findings.map((finding) => [finding.type, text.slice(finding.start, finding.end)]);

describe('detectIbans', () => {
  it('finds compact and paper-format IBANs with a valid checksum, in either case', () => {
    const text = 'Pay GB82WEST12345698765432 or DE89 3704 0044 0532 0130 00 or fr1420041010050500013m02606.';
    expect(spans(detectIbans(text), text)).toEqual([
      ['pii.iban', 'GB82WEST12345698765432'],
      ['pii.iban', 'DE89 3704 0044 0532 0130 00'],
      ['pii.iban', 'fr1420041010050500013m02606'],
    ]);
  });

  it('drops a wrong checksum, a wrong length for the country and a trailing word', () => {
    expect(detectIbans('GB83WEST12345698765432')).toEqual([]);
    expect(detectIbans('GB82WEST1234569876543')).toEqual([]);
    const text = 'IBAN DE89 3704 0044 0532 0130 00 ABCD';
    expect(spans(detectIbans(text), text)).toEqual([['pii.iban', 'DE89 3704 0044 0532 0130 00']]);
  });
});

describe('detectUsSsns', () => {
  it('finds dashed and spaced numbers, and nine digits only after a cue', () => {
    const text = 'ids 536-22-1234 and 536 22 1235; my SSN is 536221236; order 536221237';
    expect(spans(detectUsSsns(text), text)).toEqual([
      ['pii.us_ssn', '536-22-1234'],
      ['pii.us_ssn', '536 22 1235'],
      ['pii.us_ssn', '536221236'],
    ]);
  });

  it('applies the never-issued area, group and serial rules', () => {
    expect(isIssuableSsn('000', '12', '3456')).toBe(false);
    expect(isIssuableSsn('666', '12', '3456')).toBe(false);
    expect(isIssuableSsn('900', '12', '3456')).toBe(false);
    expect(isIssuableSsn('999', '12', '3456')).toBe(false);
    expect(isIssuableSsn('123', '00', '3456')).toBe(false);
    expect(isIssuableSsn('123', '12', '0000')).toBe(false);
    expect(isIssuableSsn('078', '05', '1120')).toBe(false);
    expect(isIssuableSsn('899', '99', '9999')).toBe(true);
    expect(detectUsSsns('666-12-3456 000-12-3456 123-00-4567 123-45-0000 912-34-5678')).toEqual([]);
  });

  it('does not take a dashed part of a longer number', () => {
    expect(detectUsSsns('ref 1536-22-1234 and 536-22-1234-9')).toEqual([]);
  });
});

describe('detectIpAddresses', () => {
  it('finds IPv4 and IPv6 addresses', () => {
    const text = 'from 192.168.1.20, 2001:db8::8a2e:370:7334, fe80::1%eth0 and ::ffff:10.0.0.1.';
    expect(spans(detectIpAddresses(text), text)).toEqual([
      ['pii.ip_address', '192.168.1.20'],
      ['pii.ip_address', '2001:db8::8a2e:370:7334'],
      ['pii.ip_address', 'fe80::1%eth0'],
      ['pii.ip_address', '::ffff:10.0.0.1'],
    ]);
  });

  it('leaves out octets over 255, longer dotted runs, times and ratios', () => {
    expect(detectIpAddresses('999.1.1.1, version 1.2.3.4.5, at 12:30:45, ratio 3:2, a::b')).toEqual([]);
  });
});

describe('detectDatesOfBirth', () => {
  it('finds a date after a birth cue, in the usual formats', () => {
    const text =
      'DOB: 1984-03-07. Born on 7 March 1984. Date of birth 03/07/1984. Birthday: March 7th, 1984. d.o.b. 7.3.84';
    expect(spans(detectDatesOfBirth(text), text)).toEqual([
      ['pii.date_of_birth', '1984-03-07'],
      ['pii.date_of_birth', '7 March 1984'],
      ['pii.date_of_birth', '03/07/1984'],
      ['pii.date_of_birth', 'March 7th, 1984'],
      ['pii.date_of_birth', '7.3.84'],
    ]);
  });

  it('ignores dates without a cue, far from one, or impossible', () => {
    expect(detectDatesOfBirth('The meeting is on 2024-03-07.')).toEqual([]);
    expect(detectDatesOfBirth(`born ${'x'.repeat(60)} 1984-03-07`)).toEqual([]);
    expect(detectDatesOfBirth('born 1984-02-31')).toEqual([]);
  });
});

describe('detectSecrets', () => {
  const jwt =
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
  it.each([
    ['aws AKIAIOSFODNN7EXAMPLE', 'secret.aws_access_key', 'AKIAIOSFODNN7EXAMPLE'],
    ['gcp AIzaSyA-1234567890abcdefghijklmnopqrstu', 'secret.gcp_api_key', 'AIzaSyA-1234567890abcdefghijklmnopqrstu'],
    [
      `AccountName=x;AccountKey=${'a1B2'.repeat(21)}aa==;EndpointSuffix=core`,
      'secret.azure_storage_key',
      `${'a1B2'.repeat(21)}aa==`,
    ],
    [
      'azure abc8Q~abcdefghijklmnopqrstuvwxyz0123456 end',
      'secret.azure_client_secret',
      'abc8Q~abcdefghijklmnopqrstuvwxyz0123456',
    ],
    [`gh ghp_${'a1'.repeat(18)}`, 'secret.github_token', `ghp_${'a1'.repeat(18)}`],
    [
      'slack xoxb-1234567890-1234567890-abcdefghijKLMNOP',
      'secret.slack_token',
      'xoxb-1234567890-1234567890-abcdefghijKLMNOP',
    ],
    [
      'hook https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
      'secret.slack_webhook',
      'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
    ],
    ['stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'secret.stripe_key', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'],
    [
      `key sk-proj-${'a'.repeat(20)}T3BlbkFJ${'b'.repeat(20)}`,
      'secret.openai_key',
      `sk-proj-${'a'.repeat(20)}T3BlbkFJ${'b'.repeat(20)}`,
    ],
    [`key sk-ant-api03-${'x1'.repeat(45)}`, 'secret.anthropic_key', `sk-ant-api03-${'x1'.repeat(45)}`],
    [`bearer ${jwt}`, 'secret.jwt', jwt],
    [
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----',
      'secret.private_key',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----',
    ],
    ['db_password = "h7Gq2xLp9ZvR4mKt"', 'secret.high_entropy', 'h7Gq2xLp9ZvR4mKt'],
    ['"client_secret": "Zx8v2Qp7Lk3Jh6Tg9Rf1"', 'secret.high_entropy', 'Zx8v2Qp7Lk3Jh6Tg9Rf1'],
  ])('finds %j', (text, type, secret) => {
    expect(spans(detectSecrets(text), text)).toEqual([[type, secret]]);
  });

  it('finds the head of a private key block without its end', () => {
    const text = 'paste: -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC';
    const [finding] = detectSecrets(text);
    expect(text.slice(finding?.start, finding?.end).startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
    expect(finding?.end).toBe(text.length);
  });

  it('leaves low-entropy values, words and ordinary text alone', () => {
    expect(detectSecrets('password = "aaaaaaaaaaaaaaaaaaaa"')).toEqual([]);
    expect(detectSecrets('the token is passed_to_the_function_here')).toEqual([]);
    expect(detectSecrets('How do I rotate my API key every 90 days?')).toEqual([]);
    expect(looksRandom('correcthorsebatterystaple')).toBe(false);
  });
});
