/**
 * Phone numbers: a permissive pattern finds candidates (digits with the separators people
 * write: spaces, dots, dashes, slashes, parentheses, a leading + and an extension), shapes
 * that are something else (ISO dates, IPv4 addresses, US social security numbers, slashed
 * dates) are dropped, and libphonenumber-js with its full metadata confirms the rest:
 *  - written internationally (+CC ...): the number must be possible for that country (length);
 *    the explicit country code is strong evidence on its own;
 *  - written nationally: it must be a valid number (real area codes and number ranges) in one
 *    of the configured regions. A single region keeps precision high; every added region
 *    raises recall and lets more digit runs (postcodes, street numbers) pass as phones.
 */
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { FindingType, type PiiFinding } from './finding.js';

const candidatePattern =
  /(?<![\w+./-])(?:\+|\(\+?)?\d[\d \u00a0().\-/]{4,}\d(?:\s*(?:x|ext\.?|extension)\s*\d{1,6})?(?![\w/]|[.-]\d)/gi;

const notPhoneShapes = [
  /^\d{4}-\d{2}-\d{2}(?:\s|$)/, // ISO date, perhaps followed by an hour
  /^\d{1,3}(?:\.\d{1,3}){3}$/, // IPv4 address
  /^\d{3}-\d{2}-\d{4}$/, // US social security number
  /^\d{1,2}\/\d{1,2}\/\d{2,4}$/, // slashed date
];

const minDigits = 7;

export const phoneRuleId = 'pii.phone.libphonenumber';

export interface PhoneDetectorOptions {
  /** ISO 3166-1 alpha-2 regions whose national formats count; the first is the default. */
  regions: readonly string[];
}

export type PhoneDetector = (text: string) => PiiFinding[];

export function isSupportedPhoneRegion(region: string): boolean {
  return isSupportedCountry(region.toUpperCase());
}

export function createPhoneDetector(options: PhoneDetectorOptions): PhoneDetector {
  const regions = options.regions.map((region) => region.toUpperCase());
  const unsupported = regions.filter((region) => !isSupportedCountry(region));
  if (unsupported.length > 0) throw new Error(`unsupported phone regions: ${unsupported.join(', ')}`);
  if (regions.length === 0) throw new Error('at least one phone region is needed');
  const countries = regions as CountryCode[];

  return (text) => {
    const findings: PiiFinding[] = [];
    for (const match of text.matchAll(candidatePattern)) {
      const candidate = match[0];
      if (notPhoneShapes.some((shape) => shape.test(candidate))) continue;
      if (candidate.replace(/\D/g, '').length < minDigits) continue;
      if (!isPhoneNumber(candidate, countries)) continue;
      findings.push({
        type: FindingType.phone,
        start: match.index,
        end: match.index + candidate.length,
        ruleId: phoneRuleId,
        confidence: isInternational(candidate) ? 0.85 : 0.9,
      });
    }
    return findings;
  };
}

function isInternational(candidate: string): boolean {
  return candidate.startsWith('+') || candidate.startsWith('(+');
}

function isPhoneNumber(candidate: string, countries: readonly CountryCode[]): boolean {
  if (isInternational(candidate)) return parsePhoneNumberFromString(candidate)?.isPossible() ?? false;
  return countries.some((country) => parsePhoneNumberFromString(candidate, country)?.isValid() ?? false);
}
