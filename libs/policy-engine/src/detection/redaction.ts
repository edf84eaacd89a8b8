/**
 * Replaces findings' spans with a typed placeholder, so the text stays readable ("call [PHONE]",
 * "key [SECRET]"). Overlapping spans (an injection phrase around an e-mail) are replaced as one,
 * with the label of the first. The result is assembled in one pass (linear in the text, however
 * many spans).
 */
import { type Finding, FindingType, familyOf, type AnyFindingType as Type } from './finding.js';

export const defaultRedactionLabels: Partial<Record<Type, string>> = {
  [FindingType.email]: '[EMAIL]',
  [FindingType.phone]: '[PHONE]',
  [FindingType.paymentCard]: '[CARD]',
  [FindingType.iban]: '[IBAN]',
  [FindingType.usSsn]: '[SSN]',
  [FindingType.ipAddress]: '[IP_ADDRESS]',
  [FindingType.dateOfBirth]: '[DATE_OF_BIRTH]',
  [FindingType.person]: '[PERSON]',
  [FindingType.injection]: '[INJECTION]',
};

/** The placeholder of a finding type: its own label, `[SECRET]` for every secret, else `[REDACTED]`. */
export function redactionLabelOf(type: Type, labels = defaultRedactionLabels): string {
  return labels[type] ?? (familyOf(type) === 'secret' ? '[SECRET]' : '[REDACTED]');
}

/** What redaction reads of a finding: also what services hold of findings decided elsewhere. */
export type RedactedSpan = Pick<Finding, 'start' | 'end'> & { type: Type | string };

export function redact(text: string, findings: readonly RedactedSpan[], labels = defaultRedactionLabels): string {
  const parts: string[] = [];
  let from = 0;
  for (const finding of [...findings].sort((a, b) => a.start - b.start || b.end - a.end)) {
    if (finding.end <= from) continue;
    if (finding.start < from) {
      // Overlaps the span just replaced: extend that replacement over it.
      from = finding.end;
      continue;
    }
    parts.push(text.slice(from, finding.start), redactionLabelOf(finding.type as Type, labels));
    from = finding.end;
  }
  parts.push(text.slice(from));
  return parts.join('');
}
