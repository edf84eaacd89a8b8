/**
 * Which findings of a verdict the policy replaced in its redacted text. The in-process engine says
 * (each finding's action); the remote Check does not, so the set is recovered from the text it
 * returned: the subset of finding types whose redaction reproduces it exactly (actions are per
 * family or per rule, so few types are in play). When none does, every non-topic finding counts as
 * redacted: withholding too much beats releasing what policy removed.
 */
import type { PolicyFinding, PolicyVerdict } from '../answering/policy-gate.js';
import { redactSpans } from './passage-guard.js';

const maxTypesTried = 6;

export function redactedFindingsOf(verdict: PolicyVerdict, checkedText: string): PolicyFinding[] {
  if (verdict.decision !== 'REDACT' && verdict.decision !== 'ESCALATE') return [];
  const findings = (verdict.findings ?? []).filter((finding) => finding.context === undefined);
  if (findings.every((finding) => finding.action !== undefined)) {
    return findings.filter((finding) => finding.action === 'redact');
  }
  // Topics are matched, never replaced.
  const candidates = findings.filter((finding) => !finding.type.startsWith('topic.'));
  if (verdict.text === checkedText) return [];
  const types = [...new Set(candidates.map((finding) => finding.type))];
  if (types.length <= maxTypesTried) {
    // Largest subsets first: usually every type found was redacted.
    const subsets = [...Array(2 ** types.length).keys()].sort((a, b) => bitCount(b) - bitCount(a));
    for (const mask of subsets) {
      if (mask === 0) continue;
      const chosen = new Set(types.filter((_, bit) => mask & (1 << bit)));
      const subset = candidates.filter((finding) => chosen.has(finding.type));
      if (redactSpans(checkedText, subset) === verdict.text) return subset;
    }
  }
  return candidates;
}

function bitCount(value: number): number {
  let count = 0;
  for (let rest = value; rest > 0; rest >>= 1) count += rest & 1;
  return count;
}
