/**
 * E-mail addresses: the dot-atom form of RFC 5322 that real addresses use (no quoted local
 * parts, no IP-literal domains), a domain of DNS labels and an alphabetic top-level domain.
 * The lookarounds keep a match from starting or ending inside a longer word-like run.
 */
import { FindingType, type PiiFinding } from './finding.js';

const atext = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
const label = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const emailPattern = new RegExp(
  `(?<![A-Za-z0-9!#$%&'*+/=?^_\`{|}~.-])${atext}+(?:\\.${atext}+)*@(?:${label}\\.)+[A-Za-z]{2,63}(?![A-Za-z0-9-])`,
  'g',
);

export const emailRuleId = 'pii.email.dot-atom';

export function detectEmails(text: string): PiiFinding[] {
  const findings: PiiFinding[] = [];
  for (const match of text.matchAll(emailPattern)) {
    const local = match[0].slice(0, match[0].indexOf('@'));
    // RFC 5321 caps the local part at 64 octets; longer runs are not addresses.
    if (local.length > 64) continue;
    findings.push({
      type: FindingType.email,
      start: match.index,
      end: match.index + match[0].length,
      ruleId: emailRuleId,
      confidence: 0.95,
    });
  }
  return findings;
}
