/**
 * Phone numbers: a permissive pattern finds candidates (digits with the separators people
 * write: spaces, dots, dashes, slashes, parentheses, a leading + or 00 and an extension),
 * shapes that are something else (ISO dates, IPv4 addresses, US social security numbers,
 * slashed dates) are dropped, and a candidate is a phone number when one of these holds:
 *  - written internationally (+CC ... or 00CC ...): libphonenumber-js (full metadata) finds the
 *    number possible for that country (its length); the explicit country code is strong
 *    evidence on its own, whatever the configured regions;
 *  - written nationally: it is a valid number (real area codes and number ranges) in one of
 *    the configured regions. A single region keeps precision high; every added region raises
 *    recall and lets more digit runs (postcodes, street numbers) pass as phones;
 *  - a phone word stands just before it ("phone:", "tel", "call me on", "mobile", "fax",
 *    "text me at", a "Desk:" label) or a line label just after it ("... office", "...-Fax"),
 *    and it has 7 to 15 digits (E.164's longest): how a person writes a number of any country.
 */
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { type CueIndex, indexCues } from './context-cues.js';
import { FindingType, type PiiFinding } from './finding.js';

const candidatePattern =
  /(?<![\w+./-])(?:\+|\(\+?)?\d[\d \u00a0().\-/]{4,}\d(?:\s*(?:x|ext\.?|extension)\s*\d{1,6})?(?![\w/]|[.-]\d)/gi;

const notPhoneShapes = [
  /^\d{4}-\d{2}-\d{2}(?:\s|$)/, // ISO date, perhaps followed by an hour
  /^\d{1,3}(?:\.\d{1,3}){3}$/, // IPv4 address
  /^\d{3}-\d{2}-\d{4}$/, // US social security number
  /^\d{1,2}\/\d{1,2}\/\d{2,4}$/, // slashed date
  /^\d{1,2}\.\d{1,2}\.\d{2,4}$/, // dotted date
];

/** Words that announce a phone number a few characters later. */
const cueBefore =
  /\b(?:tel(?:ephone)?|phone|ph|mobile|mob|cell(?:phone)?|fax|call(?:ed|ing)?|dial(?:led|ing)?|ring|text(?:ed|ing)?|sms|whats\s?app|messages?|hotline)\b|\b(?:office|home|work|desk|direct|main|switchboard)\s*:/gi;
/** Line labels written after a number: "020 7946 0958 office", "555 0100-Fax". */
const cueAfter = /\b(?:office|fax|mobile|cell|home|work|phone|tel)\b/gi;
const cueBeforeWindow = 24;
const cueAfterWindow = 3;

const minDigits = 7;
const maxDigits = 15;

export const phoneRuleId = 'pii.phone.libphonenumber';
export const phoneCueRuleId = 'pii.phone.context';

export interface PhoneDetectorOptions {
  /** ISO 3166-1 alpha-2 regions whose national formats count; the first is the default. */
  regions: readonly string[];
}

/**
 * `claimed` says whether a span is already taken by a detector that wins overlaps (a card, an
 * IBAN): such a candidate would be dropped anyway, so it is not parsed (parsing is most of the
 * cost of this detector).
 */
export type PhoneDetector = (text: string, claimed?: (start: number, end: number) => boolean) => PiiFinding[];

export function isSupportedPhoneRegion(region: string): boolean {
  return isSupportedCountry(region.toUpperCase());
}

export function createPhoneDetector(options: PhoneDetectorOptions): PhoneDetector {
  const regions = options.regions.map((region) => region.toUpperCase());
  const unsupported = regions.filter((region) => !isSupportedCountry(region));
  if (unsupported.length > 0) throw new Error(`unsupported phone regions: ${unsupported.join(', ')}`);
  if (regions.length === 0) throw new Error('at least one phone region is needed');
  const countries = regions as CountryCode[];

  return (text, claimed) => {
    const findings: PiiFinding[] = [];
    let before: CueIndex | undefined;
    let after: CueIndex | undefined;
    const cued = (start: number, end: number) => {
      before ??= indexCues(text, cueBefore);
      if (before.before(start, cueBeforeWindow)) return true;
      after ??= indexCues(text, cueAfter);
      return after.after(end, cueAfterWindow);
    };
    for (const match of text.matchAll(candidatePattern)) {
      const candidate = match[0];
      if (notPhoneShapes.some((shape) => shape.test(candidate))) continue;
      const digitCount = candidate.replace(/\D/g, '').length;
      if (digitCount < minDigits) continue;
      const start = match.index;
      const end = start + candidate.length;
      if (claimed?.(start, end)) continue;
      let ruleId = phoneRuleId;
      let confidence: number;
      if (isPhoneNumber(candidate, countries)) confidence = isInternational(candidate) ? 0.85 : 0.9;
      else if (digitCount <= maxDigits + extensionDigits(candidate) && cued(start, end)) {
        ruleId = phoneCueRuleId;
        confidence = 0.7;
      } else continue;
      findings.push({ type: FindingType.phone, start, end, ruleId, confidence });
    }
    return findings;
  };
}

function isInternational(candidate: string): boolean {
  return /^\(?(?:\+|00[1-9])/.test(candidate);
}

function extensionDigits(candidate: string): number {
  return /(?:x|ext\.?|extension)\s*(\d+)$/i.exec(candidate)?.[1]?.length ?? 0;
}

function isPhoneNumber(candidate: string, countries: readonly CountryCode[]): boolean {
  if (isInternational(candidate)) {
    // 00 is the international call prefix of most countries: 0044 20 ... is +44 20 ...
    const written = candidate.replace(/^(\(?)00/, '$1+');
    return parsePhoneNumberFromString(written)?.isPossible() ?? false;
  }
  return countries.some((country) => parsePhoneNumberFromString(candidate, country)?.isValid() ?? false);
}
