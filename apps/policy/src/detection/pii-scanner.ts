/**
 * Runs every PII detector over a text and resolves overlaps. Detectors look at the same
 * characters from different angles (a card number is also a long digit run a phone pattern
 * may like; an address's local part may hold digits), so when spans overlap the more specific
 * detector wins: e-mail, then payment card, then phone.
 */
import { detectPaymentCards } from './card-detector.js';
import { detectEmails } from './email-detector.js';
import type { PiiFinding } from './finding.js';
import { createPhoneDetector } from './phone-detector.js';

export interface PiiScannerOptions {
  /** Regions whose national phone formats count (see phone-detector.ts). */
  phoneRegions: readonly string[];
}

export type PiiScanner = (text: string) => PiiFinding[];

export function createPiiScanner(options: PiiScannerOptions): PiiScanner {
  const detectPhones = createPhoneDetector({ regions: options.phoneRegions });
  // In order of precedence.
  const detectors = [detectEmails, detectPaymentCards, detectPhones];
  return (text) => {
    const accepted: PiiFinding[] = [];
    for (const detect of detectors) {
      for (const finding of detect(text)) {
        if (!accepted.some((other) => finding.start < other.end && other.start < finding.end)) accepted.push(finding);
      }
    }
    return accepted.sort((a, b) => a.start - b.start);
  };
}
