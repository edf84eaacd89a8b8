/**
 * Runs every personal-data and secret detector over a text and resolves overlaps.
 *
 * The text is normalised once (normalisation/matching-text.ts: NFKC, confusables, invisible
 * characters, digits of every script), every detector reads that form, and each span is mapped
 * back to the text as received, so a card written in fullwidth digits or an e-mail split by a
 * zero-width joiner is found and redacted where it stands.
 *
 * Detectors look at the same characters from different angles (a card number is also a long
 * digit run a phone pattern may like; an address's local part may hold digits), so when spans
 * overlap the more specific detector wins: secrets (a key block holds anything), e-mail, IBAN,
 * payment card, SSN, IP address, date of birth, phone, then person names (a name-list match
 * is the weakest evidence).
 */
import { toDetectionText } from '../normalisation/matching-text.js';
import { detectPaymentCards } from './card-detector.js';
import { detectDatesOfBirth } from './date-of-birth-detector.js';
import { detectEmails } from './email-detector.js';
import type { ScannedFinding } from './finding.js';
import { detectIbans } from './iban-detector.js';
import { detectIpAddresses } from './ip-detector.js';
import { detectPersons, loadPersonNameLists } from './person-detector.js';
import { createPhoneDetector } from './phone-detector.js';
import { detectSecrets } from './secret-detector.js';
import { detectUsSsns } from './ssn-detector.js';

export interface PiiScannerOptions {
  /** Regions whose national phone formats count (see phone-detector.ts). */
  phoneRegions: readonly string[];
}

/** Personal data and secrets in a text, disjoint and sorted, at offsets of the text as received. */
export type PiiScanner = (text: string) => ScannedFinding[];

export function createPiiScanner(options: PiiScannerOptions): PiiScanner {
  const detectPhones = createPhoneDetector({ regions: options.phoneRegions });
  // Loaded now rather than on the first Check.
  loadPersonNameLists();
  // In order of precedence.
  const detectors = [
    detectSecrets,
    detectEmails,
    detectIbans,
    detectPaymentCards,
    detectUsSsns,
    detectIpAddresses,
    detectDatesOfBirth,
    detectPhones,
    detectPersons,
  ];
  return (original) => {
    const normalised = toDetectionText(original);
    let accepted: ScannedFinding[] = [];
    for (const detect of detectors) accepted = mergeDisjoint(accepted, detect(normalised.text));
    if (normalised.identity) return accepted;
    return accepted.map((finding) => ({ ...finding, ...normalised.originalSpan(finding.start, finding.end) }));
  };
}

const byPosition = (a: ScannedFinding, b: ScannedFinding) => a.start - b.start || a.end - b.end;

/**
 * `accepted` (sorted, disjoint) plus the candidates that overlap neither it nor an earlier
 * candidate, sorted. One sweep: a text full of personal data costs linear time here, where
 * comparing each finding with every accepted one was quadratic (seconds for a 256 KiB text).
 */
function mergeDisjoint(accepted: readonly ScannedFinding[], candidates: readonly ScannedFinding[]): ScannedFinding[] {
  if (candidates.length === 0) return accepted as ScannedFinding[];
  const kept: ScannedFinding[] = [];
  let next = 0;
  let lastEnd = Number.NEGATIVE_INFINITY;
  for (const finding of [...candidates].sort(byPosition)) {
    // Accepted spans are disjoint and sorted, so their ends are sorted too.
    while (next < accepted.length && (accepted[next] as ScannedFinding).end <= finding.start) next++;
    const blocker = accepted[next];
    if ((blocker && blocker.start < finding.end) || finding.start < lastEnd) continue;
    kept.push(finding);
    lastEnd = finding.end;
  }
  const merged: ScannedFinding[] = [];
  let a = 0;
  let k = 0;
  while (a < accepted.length || k < kept.length) {
    const fromAccepted = accepted[a];
    const fromKept = kept[k];
    if (fromKept === undefined || (fromAccepted !== undefined && fromAccepted.start <= fromKept.start)) {
      merged.push(fromAccepted as ScannedFinding);
      a++;
    } else {
      merged.push(fromKept);
      k++;
    }
  }
  return merged;
}
