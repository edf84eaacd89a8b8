/**
 * The decision for one text (and its contexts) under one compiled policy.
 *
 * The detectors the stage's rules select run once over one normalised form of each text; then
 * the rules, in the policy's order, take the findings they select (detector, where found,
 * confidence) when there are at least `minCount` of them. A finding no rule takes is reported
 * only. The decision, strictest first:
 *  1. a topic under `block` → BLOCK (the reason names the topics);
 *  2. any other finding under `block` → BLOCK (an `escalate` rule blocks at the document stage:
 *     there is no answer for a person to review at ingestion);
 *  3. a finding under `escalate` → ESCALATE, with the findings under `redact` redacted;
 *  4. findings under `redact` → REDACT (typed placeholders);
 *  5. otherwise ALLOW.
 *
 * Every finding is reported whatever the decision, so the audit shows all that was seen.
 */
import { type AnyFindingType, type Finding, type FindingFamily, familyOf } from '../detection/finding.js';
import { defaultRedactionLabels, redact } from '../detection/redaction.js';
import { detectInjection, detectInjectionHeuristics } from '../injection/injection-detector.js';
import { type MatchingText, toDetectionText, toMatchingText } from '../normalisation/matching-text.js';
import type { CompiledRule, PolicyProgram, ScopePlan } from './compiled-policy.js';
import type { ContextFinding, Evaluation, FindingAction, FiredRule, PolicyRuleFired, Stage } from './decision.js';

const familyNames: Record<FindingFamily, string> = {
  pii: 'personal data',
  secret: 'secrets',
  injection: 'prompt injection',
  topic: 'topics',
};

/** Which rule took a finding, and the action it took (after the document stage's rule). */
export interface Attribution {
  rule: CompiledRule;
  action: FindingAction;
}

export interface DetailedEvaluation {
  evaluation: Evaluation;
  /** The rule of each finding a rule took (text and context findings alike). */
  attribution: ReadonlyMap<Finding, Attribution>;
}

export function evaluateText(
  program: PolicyProgram,
  stage: Stage,
  text: string,
  contexts: readonly string[] = [],
): Evaluation {
  return evaluateDetailed(program, stage, text, contexts).evaluation;
}

export function evaluateDetailed(
  program: PolicyProgram,
  stage: Stage,
  text: string,
  contexts: readonly string[] = [],
): DetailedEvaluation {
  const plan = program.plans[stage];
  const findings = detect(program, plan.text, text);
  const contextFindings: ContextFinding[] = plan.contexts.empty
    ? []
    : contexts.flatMap((context, index) =>
        detect(program, plan.contexts, context).map((finding) => {
          const inContext = { ...finding, context: index };
          const origin = origins.get(finding);
          if (origin) origins.set(inContext, origin);
          return inContext;
        }),
      );

  // Nothing found (always, for a policy without rules): no rule can fire, so the text is allowed
  // as it is. The common case of a clean text, and every text of a tenant with guardrails off.
  if (findings.length === 0 && contextFindings.length === 0) {
    return {
      evaluation: {
        findings,
        contextFindings,
        fired: [],
        rulesFired: [],
        decision: 'ALLOW',
        text,
        contexts: [...contexts],
        reason: '',
      },
      attribution: noAttribution,
    };
  }

  const attribution = new Map<Finding, Attribution>();
  const rulesFired: PolicyRuleFired[] = [];
  for (const rule of plan.rules) {
    const taken: Finding[] = [];
    const consider = (candidates: readonly Finding[]) => {
      for (const finding of candidates) {
        if (!attribution.has(finding) && ruleTakes(rule, finding)) taken.push(finding);
      }
    };
    if (rule.in !== 'contexts') consider(findings);
    if (rule.in !== 'text') consider(contextFindings);
    if (taken.length === 0 || taken.length < rule.minCount) continue;
    const action = stage === 'document' && rule.action === 'escalate' ? 'block' : rule.action;
    for (const finding of taken) attribution.set(finding, { rule, action });
    rulesFired.push({ rule: rule.id, action, count: taken.length, types: typesOf(taken) });
  }

  const actionOf = (finding: Finding): FindingAction => attribution.get(finding)?.action ?? 'allow';
  const all: Finding[] = [...findings, ...contextFindings];
  const fired = firedRules(all, actionOf, attribution);
  const withAction = (action: FindingAction) => (finding: Finding) => actionOf(finding) === action;
  const isTopic = (finding: Finding) => familyOf(finding.type) === 'topic';
  const base = { findings, contextFindings, fired, rulesFired };
  const done = (evaluation: Evaluation): DetailedEvaluation => ({ evaluation, attribution });

  const blocking = all.filter(withAction('block'));
  const deniedTopics = blocking.filter(isTopic);
  if (deniedTopics.length > 0) {
    return done({
      ...base,
      decision: 'BLOCK',
      text: '',
      contexts: [],
      reason: namedTopics('denied topic', deniedTopics),
    });
  }
  if (blocking.length > 0) {
    return done({ ...base, decision: 'BLOCK', text: '', contexts: [], reason: blockReason(blocking, contextFindings) });
  }
  const labels = { ...defaultRedactionLabels, ...program.labels };
  const toRedact = findings.filter(withAction('redact'));
  const redactedText = toRedact.length > 0 ? redact(text, toRedact, labels) : text;
  const contextRedactions = contextFindings.filter(withAction('redact'));
  const redactedContexts =
    contextRedactions.length === 0
      ? [...contexts]
      : contexts.map((context, index) => {
          const inContext = contextRedactions.filter((finding) => finding.context === index);
          return inContext.length > 0 ? redact(context, inContext, labels) : context;
        });
  const redactedTypes = typesOf([...toRedact, ...contextRedactions]);
  const escalating = all.filter(withAction('escalate'));
  if (escalating.length > 0) {
    const topics = escalating.filter(isTopic);
    const others = escalating.filter((finding) => !isTopic(finding));
    const why = [
      ...(topics.length > 0 ? [namedTopics('escalation topic', topics)] : []),
      ...(others.length > 0 ? [`needs review: ${typesOf(others).join(', ')}`] : []),
      ...(redactedTypes.length > 0 ? [`redacted ${redactedTypes.join(', ')}`] : []),
    ];
    return done({
      ...base,
      decision: 'ESCALATE',
      text: redactedText,
      contexts: redactedContexts,
      reason: why.join('; '),
    });
  }
  if (redactedTypes.length > 0) {
    return done({
      ...base,
      decision: 'REDACT',
      text: redactedText,
      contexts: redactedContexts,
      reason: redactReason([...toRedact, ...contextRedactions]),
    });
  }
  return done({ ...base, decision: 'ALLOW', text, contexts: [...contexts], reason: '' });
}

const noAttribution: ReadonlyMap<Finding, Attribution> = new Map();

function ruleTakes(rule: CompiledRule, finding: Finding): boolean {
  if (finding.confidence < rule.minConfidence) return false;
  if (rule.kind === 'builtin') return rule.selects(finding.type);
  return origins.get(finding) === rule;
}

/** Which pattern or topic rule made a finding: only that rule may take it. */
const origins = new WeakMap<Finding, CompiledRule>();

/**
 * Runs what the plan asks for over one text, normalised once per form: the detection form
 * (case kept) for the scanner and the patterns, the matching form (lowercased) for topics and
 * injection, each built only when something reads it.
 */
function detect(program: PolicyProgram, plan: ScopePlan, text: string): Finding[] {
  if (plan.empty || text.length === 0) return [];
  let detection: MatchingText | undefined;
  const detectionForm = () => {
    detection ??= toDetectionText(text);
    return detection;
  };
  let matching: MatchingText | undefined;
  const matchingForm = () => {
    matching ??= toMatchingText(text);
    return matching;
  };
  const found: Finding[] = [];
  if (plan.scanDepth > 0) {
    for (const finding of program.scanner.normalised(detectionForm(), plan.scanDepth)) {
      if (plan.wants(finding.type)) found.push(finding);
    }
  }
  for (const rule of plan.patterns) {
    const pattern = rule.pattern as NonNullable<CompiledRule['pattern']>;
    const normalised = detectionForm();
    for (const span of pattern.matcher.matchAll(normalised.text)) {
      const finding: Finding = {
        type: pattern.type,
        ...(normalised.identity ? span : normalised.originalSpan(span.start, span.end)),
        ruleId: `${pattern.type}.pattern:${rule.id}`,
        confidence: 1,
      };
      origins.set(finding, rule);
      found.push(finding);
    }
  }
  for (const rule of plan.topics) {
    const topic = rule.topic as NonNullable<CompiledRule['topic']>;
    for (const match of topic.match(text, matchingForm)) {
      const finding: Finding = {
        type: topic.type,
        start: match.start,
        end: match.end,
        ruleId: `${topic.type}:${match.topic}`,
        confidence: 1,
      };
      origins.set(finding, rule);
      found.push(finding);
    }
  }
  if (plan.injection) {
    const injectionIn = program.injectionClassifier ? detectInjection : detectInjectionHeuristics;
    found.push(...injectionIn(text, matchingForm));
  }
  return found.sort((a, b) => a.start - b.start || a.end - b.end);
}

function typesOf(findings: readonly Finding[]): AnyFindingType[] {
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
  for (const family of ['pii', 'secret', 'injection', 'topic'] as const) {
    const types = typesOf(redacted.filter((finding) => familyOf(finding.type) === family));
    if (types.length > 0) parts.push(`${familyNames[family]}: ${types.join(', ')}`);
  }
  return `redacted ${parts.join('; ')}`;
}

function firedRules(
  findings: readonly Finding[],
  actionOf: (finding: Finding) => FindingAction,
  attribution: ReadonlyMap<Finding, Attribution>,
): FiredRule[] {
  const fired = new Map<string, FiredRule>();
  for (const finding of findings) {
    const policyRule = attribution.get(finding)?.rule.id;
    const key = `${finding.ruleId}\u0000${policyRule ?? ''}`;
    const existing = fired.get(key);
    if (existing) existing.count++;
    else {
      fired.set(key, {
        ruleId: finding.ruleId,
        type: finding.type,
        action: actionOf(finding),
        count: 1,
        ...(policyRule !== undefined ? { policyRule } : {}),
      });
    }
  }
  return [...fired.values()];
}

function namedTopics(kind: string, findings: readonly Finding[]): string {
  const names = [...new Set(findings.map((finding) => finding.ruleId.slice(finding.ruleId.indexOf(':') + 1)))];
  return `${kind}${names.length > 1 ? 's' : ''} ${names.map((name) => `"${name}"`).join(', ')}`;
}
