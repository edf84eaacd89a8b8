/**
 * The decision for one text (and its contexts) under one policy. Precedence, strictest first:
 *  1. a denied topic → BLOCK (the reason names the topics);
 *  2. a finding whose family's action is `block` → BLOCK (personal data under `piiAction: block`,
 *     a secret or prompt injection under a `block` action: the default for injection);
 *  3. an escalation topic, or a finding whose family's action is `escalate` → ESCALATE, with
 *     the findings under `redact` redacted (not for documents: there is no answer for a person to
 *     review at ingestion, so escalation topics are not matched and an `escalate` family blocks);
 *  4. findings under `redact` → REDACT (typed placeholders);
 *  5. otherwise ALLOW (findings under `allow` are reported only).
 *
 * Prompt injection is looked for in the input stage's text and in the contexts of every stage
 * (retrieved passages: an instruction planted in an indexed document is indirect injection). It
 * is not looked for in documents at ingestion, so a document about injection can be indexed: its
 * passages are checked when they are retrieved. Every finding is reported whatever the decision,
 * so the audit shows all that was seen.
 */
import { type Finding, type FindingFamily, FindingType, familyOf } from '../detection/finding.js';
import type { PiiScanner } from '../detection/pii-scanner.js';
import { redact } from '../detection/redaction.js';
import { detectInjection, detectInjectionHeuristics } from '../injection/injection-detector.js';
import { type MatchingText, toMatchingText } from '../normalisation/matching-text.js';
import type { FindingAction } from '../policies/tenant-policy.js';
import type { TopicMatch } from '../topics/topic-matcher.js';
import type { CompiledPolicy } from './compiled-policy.js';
import type { ContextFinding, Evaluation, FiredRule, Stage } from './decision.js';

const familyNames: Record<Exclude<FindingFamily, 'topic'>, string> = {
  pii: 'personal data',
  secret: 'secrets',
  injection: 'prompt injection',
};

export function evaluateText(
  policy: CompiledPolicy,
  scanPii: PiiScanner,
  stage: Stage,
  text: string,
  contexts: readonly string[] = [],
): Evaluation {
  // Normalised once, when a matcher first needs it, for both kinds of topics and injection.
  let matching: MatchingText | undefined;
  const prepared = () => {
    matching ??= toMatchingText(text);
    return matching;
  };
  const denied = policy.matchDenied(text, prepared);
  const escalated = stage === 'document' ? [] : policy.matchEscalated(text, prepared);
  const scanned: Finding[] = scanPii(text);
  const injectionIn = policy.injectionClassifier ? detectInjection : detectInjectionHeuristics;
  const injected = stage === 'input' ? injectionIn(text, prepared) : [];
  const contextFindings: ContextFinding[] = contexts.flatMap((context, index) =>
    injectionIn(context).map((finding) => ({ ...finding, context: index })),
  );

  const findings: Finding[] = [
    ...denied.map((match) => topicFinding(FindingType.deniedTopic, match)),
    ...escalated.map((match) => topicFinding(FindingType.escalatedTopic, match)),
    ...scanned,
    ...injected,
  ].sort((a, b) => a.start - b.start || a.end - b.end);

  const actionOf = (finding: Finding): FindingAction => {
    const family = familyOf(finding.type);
    if (family === 'topic') return finding.type === FindingType.deniedTopic ? 'block' : 'escalate';
    const action = policy.actions[family];
    return stage === 'document' && action === 'escalate' ? 'block' : action;
  };
  const all = [...findings, ...contextFindings];
  const fired = firedRules(all, actionOf);
  const withAction = (action: FindingAction) => (finding: Finding) =>
    familyOf(finding.type) !== 'topic' && actionOf(finding) === action;

  const base = { findings, contextFindings, fired };
  if (denied.length > 0) {
    return { ...base, decision: 'BLOCK', text: '', contexts: [], reason: namedTopics('denied topic', denied) };
  }
  const blocking = all.filter(withAction('block'));
  if (blocking.length > 0) {
    return { ...base, decision: 'BLOCK', text: '', contexts: [], reason: blockReason(blocking, contextFindings) };
  }
  const toRedact = findings.filter(withAction('redact'));
  const redactedText = toRedact.length > 0 ? redact(text, toRedact) : text;
  const redactedContexts = contexts.map((context, index) => {
    const inContext = contextFindings.filter((finding) => finding.context === index && withAction('redact')(finding));
    return inContext.length > 0 ? redact(context, inContext) : context;
  });
  const contextRedactions = contextFindings.filter(withAction('redact'));
  const redactedTypes = typesOf([...toRedact, ...contextRedactions]);
  const escalating = all.filter(withAction('escalate'));
  if (escalated.length > 0 || escalating.length > 0) {
    const why = [
      ...(escalated.length > 0 ? [namedTopics('escalation topic', escalated)] : []),
      ...(escalating.length > 0 ? [`needs review: ${typesOf(escalating).join(', ')}`] : []),
      ...(redactedTypes.length > 0 ? [`redacted ${redactedTypes.join(', ')}`] : []),
    ];
    return { ...base, decision: 'ESCALATE', text: redactedText, contexts: redactedContexts, reason: why.join('; ') };
  }
  if (redactedTypes.length > 0) {
    return {
      ...base,
      decision: 'REDACT',
      text: redactedText,
      contexts: redactedContexts,
      reason: redactReason([...toRedact, ...contextRedactions]),
    };
  }
  return { ...base, decision: 'ALLOW', text, contexts: [...contexts], reason: '' };
}

function typesOf(findings: readonly Finding[]): string[] {
  return [...new Set(findings.map((finding) => finding.type))];
}

function blockReason(blocking: readonly Finding[], contextFindings: readonly ContextFinding[]): string {
  const parts: string[] = [];
  for (const family of ['pii', 'secret', 'injection'] as const) {
    const ofFamily = blocking.filter((finding) => familyOf(finding.type) === family);
    if (ofFamily.length === 0) continue;
    if (family === 'injection') {
      const inContexts = [...new Set(contextFindings.filter((f) => ofFamily.includes(f)).map((f) => f.context))];
      const where = [
        ...(ofFamily.some((finding) => !('context' in finding)) ? ['the text'] : []),
        ...inContexts.map((index) => `contexts[${index}]`),
      ];
      parts.push(`prompt injection in ${where.join(', ')}: ${[...new Set(ofFamily.map((f) => f.ruleId))].join(', ')}`);
    } else {
      parts.push(
        `${familyNames[family]} ${family === 'pii' ? 'is' : 'are'} not allowed: ${typesOf(ofFamily).join(', ')}`,
      );
    }
  }
  return parts.join('; ');
}

function redactReason(redacted: readonly Finding[]): string {
  const parts: string[] = [];
  for (const family of ['pii', 'secret', 'injection'] as const) {
    const types = typesOf(redacted.filter((finding) => familyOf(finding.type) === family));
    if (types.length > 0) parts.push(`${familyNames[family]}: ${types.join(', ')}`);
  }
  return `redacted ${parts.join('; ')}`;
}

function firedRules(findings: readonly Finding[], actionOf: (finding: Finding) => FindingAction): FiredRule[] {
  const fired = new Map<string, FiredRule>();
  for (const finding of findings) {
    const existing = fired.get(finding.ruleId);
    if (existing) existing.count++;
    else fired.set(finding.ruleId, { ruleId: finding.ruleId, type: finding.type, action: actionOf(finding), count: 1 });
  }
  return [...fired.values()];
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
