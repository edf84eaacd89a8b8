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
    let accepted: PiiFinding[] = [];
    for (const detect of detectors) accepted = mergeDisjoint(accepted, detect(text));
    return accepted;
  };
}

const byPosition = (a: PiiFinding, b: PiiFinding) => a.start - b.start || a.end - b.end;

/**
 * `accepted` (sorted, disjoint) plus the candidates that overlap neither it nor an earlier
 * candidate, sorted. One sweep: a text full of personal data costs linear time here, where
 * comparing each finding with every accepted one was quadratic (seconds for a 256 KiB text).
 */
function mergeDisjoint(accepted: readonly PiiFinding[], candidates: readonly PiiFinding[]): PiiFinding[] {
  const kept: PiiFinding[] = [];
  let next = 0;
  let lastEnd = Number.NEGATIVE_INFINITY;
  for (const finding of [...candidates].sort(byPosition)) {
    // Accepted spans are disjoint and sorted, so their ends are sorted too.
    while (next < accepted.length && (accepted[next] as PiiFinding).end <= finding.start) next++;
    const blocker = accepted[next];
    if ((blocker && blocker.start < finding.end) || finding.start < lastEnd) continue;
    kept.push(finding);
    lastEnd = finding.end;
  }
  const merged: PiiFinding[] = [];
  let a = 0;
  let k = 0;
  while (a < accepted.length || k < kept.length) {
    const fromAccepted = accepted[a];
    const fromKept = kept[k];
    if (fromKept === undefined || (fromAccepted !== undefined && fromAccepted.start <= fromKept.start)) {
      merged.push(fromAccepted as PiiFinding);
      a++;
    } else {
      merged.push(fromKept);
      k++;
    }
  }
  return merged;
}
