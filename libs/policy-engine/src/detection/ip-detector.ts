/**
 * IP addresses: dotted-quad IPv4 and IPv6 (full, `::`-compressed, with an embedded IPv4 tail),
 * candidates by pattern, confirmed by node's `net.isIPv4`/`isIPv6`. A dotted quad inside a longer
 * dotted run (a version `1.2.3.4.5`, an OID) is not an address.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { FindingType, type ScannedFinding } from './finding.js';

const v4 = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)/g;
const v6 =
  /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:]|\.\d)(?:%[\w]+)?/g;

export const ipv4RuleId = 'pii.ip_address.v4';
export const ipv6RuleId = 'pii.ip_address.v6';

export function detectIpAddresses(text: string): ScannedFinding[] {
  const v6Findings: ScannedFinding[] = [];
  for (const match of text.matchAll(v6)) {
    const candidate = match[0];
    // At least three groups of hex digits, so a time (12:30:45) or a bare "::" never counts.
    if ((candidate.match(/[0-9A-Fa-f]+/g) ?? []).length < 3 || !isIPv6(candidate)) continue;
    v6Findings.push(finding(match.index, candidate, ipv6RuleId, 0.9));
  }
  const findings: ScannedFinding[] = [...v6Findings];
  for (const match of text.matchAll(v4)) {
    if (!isIPv4(match[0])) continue;
    // The IPv4 tail of an IPv6 address (::ffff:10.0.0.1) is part of that address.
    if (v6Findings.some((v6Finding) => v6Finding.start <= match.index && match.index < v6Finding.end)) continue;
    findings.push(finding(match.index, match[0], ipv4RuleId, 0.9));
  }
  return findings.sort((a, b) => a.start - b.start);
}

function finding(start: number, candidate: string, ruleId: string, confidence: number): ScannedFinding {
  return { type: FindingType.ipAddress, start, end: start + candidate.length, ruleId, confidence };
}
