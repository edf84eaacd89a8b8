/**
 * Replaces findings' spans with a label per type. Spans must not overlap (the PII scanner
 * guarantees it); they are applied from the end so earlier offsets stay valid.
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
  let redacted = text;
  let limit = Number.POSITIVE_INFINITY;
  for (const finding of [...findings].sort((a, b) => b.start - a.start)) {
    if (finding.end > limit) throw new Error('redaction spans overlap');
    redacted = redacted.slice(0, finding.start) + labels[finding.type] + redacted.slice(finding.end);
    limit = finding.start;
  }
  return redacted;
}
