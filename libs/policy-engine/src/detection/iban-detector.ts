/**
 * IBANs: two letters, two check digits and 11-30 letters or digits, written compactly or in
 * groups of four split by single spaces (the paper format), in either case; confirmed by
 * ibantools (the ISO 13616 mod-97 checksum and the country's registered length and BBAN shape).
 */
import { electronicFormatIBAN, isValidIBAN } from 'ibantools';
import { FindingType, type ScannedFinding } from './finding.js';

const candidatePattern =
  /(?<![\p{L}\p{N}])[A-Za-z]{2}\d{2}(?:[A-Za-z0-9]{11,30}|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,4})?)(?![\p{L}\p{N}])/gu;

export const ibanRuleId = 'pii.iban.mod97';

export function detectIbans(text: string): ScannedFinding[] {
  const findings: ScannedFinding[] = [];
  for (const match of text.matchAll(candidatePattern)) {
    let candidate = match[0];
    // A paper-format IBAN may be followed by a word: try without the trailing group too.
    while (candidate.length >= 15) {
      if (isValidIBAN(electronicFormatIBAN(candidate.toUpperCase()) ?? '')) {
        findings.push({
          type: FindingType.iban,
          start: match.index,
          end: match.index + candidate.length,
          ruleId: ibanRuleId,
          confidence: 0.99,
        });
        break;
      }
      const lastSpace = candidate.lastIndexOf(' ');
      if (lastSpace < 0) break;
      candidate = candidate.slice(0, lastSpace);
    }
  }
  return findings;
}
