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
import { type MatchingText, toDetectionText } from '../normalisation/matching-text.js';
import { detectPaymentCards } from './card-detector.js';
import { detectDatesOfBirth } from './date-of-birth-detector.js';
import { detectEmails } from './email-detector.js';
import { type AnyFindingType, FindingType, type ScannedFinding } from './finding.js';
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

/**
 * Personal data and secrets in a text, disjoint and sorted, at offsets of the text as received.
 * `depth` runs only the first detectors in precedence order (`scanDepthFor`): a detector can
 * only lose overlaps to those before it, so the findings of the ones that run are the same as
 * with all of them.
 */
export interface PiiScanner {
  (text: string, depth?: number): ScannedFinding[];
  /** The same on a text already normalised with `toDetectionText` (shared with other matchers). */
  normalised(normalised: MatchingText, depth?: number): ScannedFinding[];
}

/** Which finding types each detector reports, in order of precedence. */
export const scannerDetectorTypes: readonly ((type: string) => boolean)[] = [
  (type) => type.startsWith('secret.'),
  (type) => type === FindingType.email,
  (type) => type === FindingType.iban,
  (type) => type === FindingType.paymentCard,
  (type) => type === FindingType.usSsn,
  (type) => type === FindingType.ipAddress,
  (type) => type === FindingType.dateOfBirth,
  (type) => type === FindingType.phone,
  (type) => type === FindingType.person,
];

/** How many detectors must run for the types `wanted` selects (0: none). */
export function scanDepthFor(wanted: (type: AnyFindingType) => boolean, types: readonly AnyFindingType[]): number {
  let depth = 0;
  scannerDetectorTypes.forEach((reports, index) => {
    if (types.some((type) => reports(type) && wanted(type))) depth = index + 1;
  });
  return depth;
}

export function createPiiScanner(options: PiiScannerOptions): PiiScanner {
  const detectPhones = createPhoneDetector({ regions: options.phoneRegions });
  // Loaded now rather than on the first Check.
  loadPersonNameLists();
  // In order of precedence (scannerDetectorTypes says what each reports).
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
  const scanNormalised = (normalised: MatchingText, depth = detectors.length): ScannedFinding[] => {
    let accepted: ScannedFinding[] = [];
    const claimed = (start: number, end: number) => overlapsAny(accepted, start, end);
    for (let index = 0; index < depth && index < detectors.length; index++) {
      const detect = detectors[index] as (
        text: string,
        claimed?: (start: number, end: number) => boolean,
      ) => ScannedFinding[];
      accepted = mergeDisjoint(accepted, detect(normalised.text, claimed));
    }
    if (normalised.identity) return accepted;
    return accepted.map((finding) => ({ ...finding, ...normalised.originalSpan(finding.start, finding.end) }));
  };
  const scan = ((original: string, depth?: number) => scanNormalised(toDetectionText(original), depth)) as PiiScanner;
  scan.normalised = scanNormalised;
  return scan;
}

/** Whether [start, end) overlaps one of `spans` (sorted and disjoint): a binary search. */
function overlapsAny(spans: readonly ScannedFinding[], start: number, end: number): boolean {
  let low = 0;
  let high = spans.length;
  // The first span that ends after `start`; spans are disjoint and sorted, so their ends are too.
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((spans[middle] as ScannedFinding).end <= start) low = middle + 1;
    else high = middle;
  }
  const candidate = spans[low];
  return candidate !== undefined && candidate.start < end;
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
