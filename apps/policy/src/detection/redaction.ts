/**
 * Replaces findings' spans with a label per type. Spans must not overlap (the PII scanner
 * guarantees it). The result is assembled in one pass (linear in the text, however many spans).
 */
import { FindingType, type PiiFinding, type PiiFindingType } from './finding.js';

export type RedactionLabels = Record<PiiFindingType, string>;

export const defaultRedactionLabels: RedactionLabels = {
  [FindingType.email]: '[EMAIL]',
  [FindingType.phone]: '[PHONE]',
  [FindingType.paymentCard]: '[CARD]',
};

export function redact(
  text: string,
  findings: readonly PiiFinding[],
  labels: RedactionLabels = defaultRedactionLabels,
): string {
  const parts: string[] = [];
  let from = 0;
  for (const finding of [...findings].sort((a, b) => a.start - b.start)) {
    if (finding.start < from) throw new Error('redaction spans overlap');
    parts.push(text.slice(from, finding.start), labels[finding.type]);
    from = finding.end;
  }
  parts.push(text.slice(from));
  return parts.join('');
}
