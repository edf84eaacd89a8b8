/**
 * US social security numbers: `AAA-GG-SSSS` (dashes or spaces, one kind), or nine digits in a
 * row when an SSN cue ("SSN", "social security") comes shortly before, with no other number between. The Social Security
 * Administration never issues area 000, 666 or 900-999, group 00 or serial 0000, nor the
 * numbers it published as examples (078-05-1120, 219-09-9999, 123-45-6789): those are dropped.
 */
import { FindingType, type ScannedFinding } from './finding.js';

const separated = /(?<![\p{L}\p{N}-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\p{L}\p{N}]|-\d)/gu;
const unseparated = /(?<![\p{L}\p{N}-])(\d{3})(\d{2})(\d{4})(?![\p{L}\p{N}]|-\d)/gu;
const cue = /\b(?:ssn|ss#|social\s+security(?:\s+(?:number|no\.?|#))?)\b/i;
const cueWindow = 40;
const published = new Set(['078051120', '219099999', '123456789']);

export const ssnRuleId = 'pii.us_ssn.area-group-serial';

export function isIssuableSsn(area: string, group: string, serial: string): boolean {
  const areaNumber = Number(area);
  if (areaNumber === 0 || areaNumber === 666 || areaNumber >= 900) return false;
  if (group === '00' || serial === '0000') return false;
  return !published.has(`${area}${group}${serial}`);
}

export function detectUsSsns(text: string): ScannedFinding[] {
  const findings: ScannedFinding[] = [];
  // A cue counts for the first number after it: no other digit in between.
  const cued = (index: number) => {
    const before = text.slice(Math.max(0, index - cueWindow), index);
    return cue.test(before.slice(before.search(/\d[^\d]*$/) + 1));
  };
  for (const match of text.matchAll(separated)) {
    const [, area, , group, serial] = match as unknown as [string, string, string, string, string];
    if (!isIssuableSsn(area, group, serial)) continue;
    findings.push(finding(match.index, match[0].length, cued(match.index) ? 0.95 : 0.8));
  }
  for (const match of text.matchAll(unseparated)) {
    const [, area, group, serial] = match as unknown as [string, string, string, string];
    if (!isIssuableSsn(area, group, serial) || !cued(match.index)) continue;
    findings.push(finding(match.index, match[0].length, 0.9));
  }
  return findings;
}

function finding(start: number, length: number, confidence: number): ScannedFinding {
  return { type: FindingType.usSsn, start, end: start + length, ruleId: ssnRuleId, confidence };
}
