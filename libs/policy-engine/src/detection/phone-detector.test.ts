import { describe, expect, it } from 'vitest';
import { createPhoneDetector } from './phone-detector.js';

const detectUs = createPhoneDetector({ regions: ['US'] });

function spans(text: string, detect = detectUs): string[] {
  return detect(text).map((finding) => text.slice(finding.start, finding.end));
}

describe('createPhoneDetector', () => {
  it('finds valid US numbers in the formats people write, with exact offsets', () => {
    const text = 'Call (415) 555-2671, 212.555.0148 or 650-253-0000 x123 today.';
    expect(spans(text)).toEqual(['(415) 555-2671', '212.555.0148', '650-253-0000 x123']);
    expect(detectUs(text)[0]).toEqual({
      type: 'pii.phone',
      start: 5,
      end: 19,
      ruleId: 'pii.phone.libphonenumber',
      confidence: 0.9,
    });
  });

  it('accepts an internationally written number when its length is possible for the country', () => {
    expect(spans('London office: +44 20 7946 0958; Zurich +41 44 668 18 00.')).toEqual([
      '+44 20 7946 0958',
      '+41 44 668 18 00',
    ]);
    // +44 with three digits is not a possible British number.
    expect(spans('ref +44 123')).toEqual([]);
  });

  it('confirms national numbers only in the configured regions', () => {
    const british = '020 7946 0958';
    expect(spans(`London: ${british}`)).toEqual([]);
    expect(spans(`London: ${british}`, createPhoneDetector({ regions: ['US', 'GB'] }))).toEqual([british]);
  });

  it('rejects invalid numbers and shapes that are something else', () => {
    // 555-0100 alone is too short; area code 123 does not exist.
    expect(spans('ext 555-0100, (123) 456-7890')).toEqual([]);
    expect(spans('on 2024-03-15 10:00 from 192.168.100.200, SSN 219-09-9999, born 12/31/1999')).toEqual([]);
  });

  it('accepts a number of any country when a phone word comes just before it', () => {
    expect(spans('Phone: 0490 75 40 81')).toEqual(['0490 75 40 81']);
    expect(spans('Can someone call me on 9472 7916?')).toEqual(['9472 7916']);
    expect(spans('Mobile: 03.93.92.16.85, fax 21 284 698 2548')).toEqual(['03.93.92.16.85', '21 284 698 2548']);
    expect(spans('Personal Info:\nPhone:\n60-56-85-91\n')).toEqual(['60-56-85-91']);
    expect(detectUs('tel 0490 75 40 81')[0]).toMatchObject({ ruleId: 'pii.phone.context', confidence: 0.7 });
  });

  it('accepts a number labelled after it, on the same line', () => {
    expect(spans('416 60 039 office\n082 490 1693-Fax')).toEqual(['416 60 039', '082 490 1693']);
    expect(spans('416 60 039 is our office')).toEqual([]);
  });

  it('needs the cue close by, on the same line, and a phone-sized number', () => {
    expect(spans('order 0490 75 40 81 shipped')).toEqual([]);
    expect(spans('phone support closed; tracking code 0490 75 40 81')).toEqual([]);
    expect(spans('Phone:\n\nsome notes\n0490 75 40 81')).toEqual([]);
    expect(spans('call 123 456')).toEqual([]);
    expect(spans('call 1234 5678 9012 3456 7')).toEqual([]);
  });

  it('reads 00 as the international prefix', () => {
    expect(spans('Zurich 0041 44 668 18 00')).toEqual(['0041 44 668 18 00']);
  });

  it('does not take part of a longer token', () => {
    expect(spans('id A415-555-2671 and v4155552671x')).toEqual([]);
  });

  it('refuses an unknown region', () => {
    expect(() => createPhoneDetector({ regions: ['XX'] })).toThrow(/unsupported phone regions: XX/);
    expect(() => createPhoneDetector({ regions: [] })).toThrow(/at least one/);
  });
});
