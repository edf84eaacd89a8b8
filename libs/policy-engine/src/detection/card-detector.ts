/**
 * Payment card numbers: 12 to 19 digits, written as one run or in groups of at least three
 * digits separated by single spaces or dashes (one kind per number), confirmed by the Luhn
 * check and either an issued IIN range at a length that network issues (see card-networks.ts;
 * 12 digits only for Maestro) or a card word just before it ("card", "cc", "credit",
 * "debit", a network's name): "my card 3512 ..." is a card even when its range is not in the
 * table, while a bare Luhn-valid run needs a real range.
 *
 * The scan looks at maximal runs of digit groups and searches them for a card made of whole
 * groups, so "4111 1111 1111 1111 12/25" still yields the card, while a digit run longer than
 * 19 digits (an account or tracking number) is never carved into a card.
 */

import { passesLuhn } from '@keel/text/checks';
import { cardNetworkOf } from './card-networks.js';
import { type CueIndex, indexCues } from './context-cues.js';
import { FindingType, type PiiFinding } from './finding.js';

// Letters glued to the digits make an identifier (an IBAN, a licence number), not a card.
const groupRun = /(?<![\p{L}\p{N}])\d+(?:[ -]\d+)*(?![\p{L}\p{N}])/gu;
const group = /\d+/g;

export const cardRuleId = 'pii.payment_card.luhn-iin';

const cardCue =
  /\b(?:(?:(?:credit|debit|payment|bank)\s+)?cards?|cc|credit|debit|visa|master\s?card|amex|american express|maestro|jcb|diners(?: club)?|discover|union\s?pay|pan)\b/gi;
/** How far before a number a card word may stand ("card number 1234...", "card # 1234..."). */
const cueWindow = 24;

const minDigits = 12;
const maxDigits = 19;
const minGroupDigits = 3;

interface DigitGroup {
  digits: string;
  start: number;
  end: number;
}

export function detectPaymentCards(text: string): PiiFinding[] {
  const findings: PiiFinding[] = [];
  let cues: CueIndex | undefined;
  const cued = (start: number) => {
    cues ??= indexCues(text, cardCue);
    return cues.before(start, cueWindow);
  };
  for (const run of text.matchAll(groupRun)) {
    const groups: DigitGroup[] = [...run[0].matchAll(group)].map((match) => ({
      digits: match[0],
      start: run.index + match.index,
      end: run.index + match.index + match[0].length,
    }));
    // Not push(...spread): a run of many thousand cards would overflow the call stack.
    for (const finding of cardsInRun(text, groups, cued)) findings.push(finding);
  }
  return findings;
}

function cardsInRun(text: string, groups: readonly DigitGroup[], cued: (start: number) => boolean): PiiFinding[] {
  const findings: PiiFinding[] = [];
  let first = 0;
  while (first < groups.length) {
    const last = longestCardFrom(text, groups, first, cued);
    if (last === undefined) {
      first++;
      continue;
    }
    const start = groups[first]?.start ?? 0;
    const end = groups[last]?.end ?? 0;
    findings.push({ type: FindingType.paymentCard, start, end, ruleId: cardRuleId, confidence: 0.99 });
    first = last + 1;
  }
  return findings;
}

/** The index of the last group of the longest card starting at group `first`, if any. */
function longestCardFrom(
  text: string,
  groups: readonly DigitGroup[],
  first: number,
  cued: (start: number) => boolean,
): number | undefined {
  const firstGroup = groups[first];
  if (!firstGroup) return undefined;
  const isCard = (digits: string) =>
    digits.length >= minDigits &&
    digits.length <= maxDigits &&
    passesLuhn(digits) &&
    (!!cardNetworkOf(digits) || cued(firstGroup.start));
  // A single group is a card only as a whole run of 12-19 digits.
  if (firstGroup.digits.length >= minDigits) return isCard(firstGroup.digits) ? first : undefined;
  let best: number | undefined;
  let digits = '';
  let separator: string | undefined;
  for (let index = first; index < groups.length; index++) {
    const current = groups[index];
    if (!current || current.digits.length < minGroupDigits) break;
    if (index > first) {
      const between = text.slice(groups[index - 1]?.end, current.start);
      if (separator !== undefined && between !== separator) break;
      separator = between;
    }
    digits += current.digits;
    if (digits.length > maxDigits) break;
    if (digits.length >= minDigits && isCard(digits)) best = index;
  }
  return best;
}
