/**
 * How many findings a decision lists. A document dense with personal data can hold hundreds of
 * thousands (a 3 MB phone directory): listed in full, the Scan response would pass gRPC's 4 MiB
 * message limit and the audit record MongoDB's 16 MB document limit, and the decision would fail
 * forever. The decision and the redaction always cover every finding; the list is capped, and
 * `findingCount` says how many there were.
 */
import type { Finding } from '../detection/finding.js';

export const MAX_REPORTED_FINDINGS = 1000;

/**
 * The first `max` findings in text order, plus the first one of each type that only occurs after
 * them, so that every type found is named (callers read the types from the list).
 */
export function reportedFindings<T extends Pick<Finding, 'type'>>(
  findings: readonly T[],
  max = MAX_REPORTED_FINDINGS,
): T[] {
  if (findings.length <= max) return [...findings];
  const reported = findings.slice(0, max);
  const named = new Set(reported.map((finding) => finding.type));
  for (const finding of findings.slice(max)) {
    if (named.has(finding.type)) continue;
    named.add(finding.type);
    reported.push(finding);
  }
  return reported;
}
