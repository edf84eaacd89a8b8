/**
 * Dates of birth: a calendar date (ISO `1984-03-07`, `07/03/1984`, `7.3.1984`, `7 March 1984`,
 * `March 7, 1984`, `Mar 7th 1984`) that comes shortly after a birth cue ("born", "birth",
 * "DOB", "d.o.b.", "birthday", "geb.", "né(e) le"). A date on its own is not personal data; one
 * tied to a person's birth is. The date must be a real one (no 31 February) and a year between
 * 1900 and 2100 when one is written.
 */
import { FindingType, type ScannedFinding } from './finding.js';

const cue = /\b(?:born|birth(?:day|date)?|dob|d\.o\.b\.?|geb(?:\.|oren)|n[ée]e?\s+le)\b/gi;
const cueWindow = 48;
const months =
  'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';
const datePattern = new RegExp(
  [
    '(?<iy>\\d{4})-(?<im>\\d{1,2})-(?<id>\\d{1,2})',
    '(?<na>\\d{1,2})[/.-](?<nb>\\d{1,2})[/.-](?<ny>\\d{4}|\\d{2})',
    `(?<wd>\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?(?<wm>${months})\\.?,?\\s+(?<wy>\\d{4})`,
    `(?<mm>${months})\\.?\\s+(?<md>\\d{1,2})(?:st|nd|rd|th)?,?\\s+(?<my>\\d{4})`,
  ]
    .map((alternative) => `(?:${alternative})`)
    .join('|'),
  'giy',
);
const monthNames = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

export const dateOfBirthRuleId = 'pii.date_of_birth.cue-date';

export function detectDatesOfBirth(text: string): ScannedFinding[] {
  const findings: ScannedFinding[] = [];
  let searchedTo = 0;
  for (const cueMatch of text.matchAll(cue)) {
    const windowEnd = Math.min(text.length, cueMatch.index + cueMatch[0].length + cueWindow);
    for (let index = Math.max(searchedTo, cueMatch.index + cueMatch[0].length); index < windowEnd; index++) {
      if (!/\d|[a-z]/i.test(text[index] as string) || /[\p{L}\p{N}]/u.test(text[index - 1] ?? '')) continue;
      datePattern.lastIndex = index;
      const match = datePattern.exec(text);
      if (!match || /[\p{L}\p{N}]/u.test(text[index + match[0].length] ?? '') || !isRealDate(match.groups ?? {})) {
        continue;
      }
      findings.push({
        type: FindingType.dateOfBirth,
        start: index,
        end: index + match[0].length,
        ruleId: dateOfBirthRuleId,
        confidence: 0.85,
      });
      index += match[0].length;
      searchedTo = index;
      break;
    }
  }
  return findings;
}

function isRealDate(groups: Record<string, string | undefined>): boolean {
  const monthOf = (name: string | undefined) => monthNames.indexOf((name ?? '').slice(0, 3).toLowerCase()) + 1;
  let parts: [number, number, number][];
  if (groups.iy) parts = [[Number(groups.iy), Number(groups.im), Number(groups.id)]];
  else if (groups.ny) {
    const year = groups.ny.length === 2 ? 1900 + Number(groups.ny) : Number(groups.ny);
    // Day-first or month-first: either reading may be the real one.
    parts = [
      [year, Number(groups.nb), Number(groups.na)],
      [year, Number(groups.na), Number(groups.nb)],
    ];
  } else if (groups.wy) parts = [[Number(groups.wy), monthOf(groups.wm), Number(groups.wd)]];
  else parts = [[Number(groups.my), monthOf(groups.mm), Number(groups.md)]];
  return parts.some(([year, month, day]) => {
    if (year < 1900 || year > 2100 || month < 1 || month > 12 || day < 1) return false;
    return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
  });
}
