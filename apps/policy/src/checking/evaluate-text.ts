/**
 * The decision for one text under one policy. Precedence, strictest first:
 *  1. a denied topic → BLOCK (the reason names the topics);
 *  2. personal data under a `block` PII action → BLOCK;
 *  3. an escalation topic → ESCALATE, with personal data redacted (not for documents: there is
 *     no answer for a person to review at ingestion);
 *  4. personal data → REDACT;
 *  5. otherwise ALLOW.
 * Every finding is reported whatever the decision, so the audit shows all that was seen.
 */
import type { Finding } from '../detection/finding.js';
import { FindingType } from '../detection/finding.js';
import type { PiiScanner } from '../detection/pii-scanner.js';
import { redact } from '../detection/redaction.js';
import { type MatchingText, toMatchingText } from '../topics/matching-text.js';
import type { TopicMatch } from '../topics/topic-matcher.js';
import type { CompiledPolicy } from './compiled-policy.js';
import type { Evaluation, Stage } from './decision.js';

export function evaluateText(policy: CompiledPolicy, scanPii: PiiScanner, stage: Stage, text: string): Evaluation {
  // Normalised once, when a matcher first needs it, for both kinds of topics.
  let matching: MatchingText | undefined;
  const prepared = () => {
    matching ??= toMatchingText(text);
    return matching;
  };
  const denied = policy.matchDenied(text, prepared);
  const escalated = stage === 'document' ? [] : policy.matchEscalated(text, prepared);
  const pii = scanPii(text);
  const findings: Finding[] = [
    ...denied.map((match) => topicFinding(FindingType.deniedTopic, match)),
    ...escalated.map((match) => topicFinding(FindingType.escalatedTopic, match)),
    ...pii,
  ].sort((a, b) => a.start - b.start || a.end - b.end);
  const piiTypes = [...new Set(pii.map((finding) => finding.type))];

  if (denied.length > 0) {
    return { decision: 'BLOCK', text: '', findings, reason: namedTopics('denied topic', denied) };
  }
  if (pii.length > 0 && policy.piiAction === 'block') {
    return { decision: 'BLOCK', text: '', findings, reason: `personal data is not allowed: ${piiTypes.join(', ')}` };
  }
  const redacted = pii.length > 0 ? redact(text, pii) : text;
  if (escalated.length > 0) {
    const also = pii.length > 0 ? `; redacted ${piiTypes.join(', ')}` : '';
    return {
      decision: 'ESCALATE',
      text: redacted,
      findings,
      reason: `${namedTopics('escalation topic', escalated)}${also}`,
    };
  }
  if (pii.length > 0) {
    return { decision: 'REDACT', text: redacted, findings, reason: `redacted personal data: ${piiTypes.join(', ')}` };
  }
  return { decision: 'ALLOW', text, findings, reason: '' };
}

function topicFinding(
  type: typeof FindingType.deniedTopic | typeof FindingType.escalatedTopic,
  match: TopicMatch,
): Finding {
  return { type, start: match.start, end: match.end, ruleId: `${type}:${match.topic}`, confidence: 1 };
}

function namedTopics(kind: string, matches: readonly TopicMatch[]): string {
  const names = [...new Set(matches.map((match) => match.topic))];
  return `${kind}${names.length > 1 ? 's' : ''} ${names.map((name) => `"${name}"`).join(', ')}`;
}
