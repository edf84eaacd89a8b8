/**
 * A policy document compiled into what a check runs: for each stage, the rules that apply there
 * and, for the text and for the contexts, which detectors must run (a detector no rule selects
 * does not run), the tenant's patterns (RE2) and topic matchers. Compiling builds regular
 * expressions, so a compiled policy is kept and reused (policy-cache.ts).
 */
import { type AnyFindingType, FindingType } from '../detection/finding.js';
import { type PiiScanner, scanDepthFor } from '../detection/pii-scanner.js';
import type { FindingAction } from '../policy/legacy-policy.js';
import { rulesOfLegacyPolicy } from '../policy/legacy-rules.js';
import { isRulesPolicy, type PolicyDocument } from '../policy/policy-document.js';
import { builtinFindingTypes, type PolicyRule } from '../policy/rules-policy.js';
import { compileTenantPattern, type TenantPattern } from '../policy/tenant-patterns.js';
import { compileTopics, type TopicMatcher } from '../topics/topic-matcher.js';
import type { Stage } from './decision.js';

export const stages: readonly Stage[] = ['input', 'output', 'document'];

export interface CompiledRule {
  id: string;
  /** Position in the policy: earlier rules take findings first. */
  index: number;
  action: FindingAction;
  stages: ReadonlySet<Stage>;
  in: 'text' | 'contexts' | 'all';
  minConfidence: number;
  minCount: number;
  kind: 'builtin' | 'pattern' | 'topic';
  /** Built-in rules: whether a finding type is one this rule selects. */
  selects(type: AnyFindingType): boolean;
  pattern?: { matcher: TenantPattern; type: AnyFindingType };
  topic?: { name: string; match: TopicMatcher; type: AnyFindingType };
}

/** What to look for in one text (the checked text, or each context). */
export interface ScopePlan {
  /** Detectors of the PII scanner to run, in precedence order (0: none). */
  scanDepth: number;
  /** Which scanner findings some rule selects (the others ran only to resolve overlaps). */
  wants(type: AnyFindingType): boolean;
  injection: boolean;
  patterns: readonly CompiledRule[];
  topics: readonly CompiledRule[];
  /** Nothing at all to look for. */
  empty: boolean;
}

export interface StagePlan {
  rules: readonly CompiledRule[];
  text: ScopePlan;
  contexts: ScopePlan;
}

export interface PolicyProgram {
  format: 'rules' | 'json';
  rules: readonly CompiledRule[];
  plans: Readonly<Record<Stage, StagePlan>>;
  injectionClassifier: boolean;
  /** Placeholders of the types the policy defines (`pii.employee_id` → `[EMPLOYEE_ID]`). */
  labels: Readonly<Record<string, string>>;
  scanner: PiiScanner;
}

export class PolicyCompilationError extends Error {
  constructor(
    readonly ruleId: string,
    readonly reason: string,
  ) {
    super(`rule ${ruleId}: ${reason}`);
    this.name = 'PolicyCompilationError';
  }
}

export function compileProgram(document: PolicyDocument, scanner: PiiScanner): PolicyProgram {
  const format = isRulesPolicy(document) ? 'rules' : 'json';
  const ruleList = isRulesPolicy(document) ? document.rules : rulesOfLegacyPolicy(document);
  const labels: Record<string, string> = {};
  const rules = ruleList.map((rule, index) => compileRule(rule, index, labels));
  const plans = Object.fromEntries(stages.map((stage) => [stage, planStage(rules, stage)])) as Record<Stage, StagePlan>;
  return {
    format,
    rules,
    plans,
    injectionClassifier: document.injectionClassifier === true,
    labels,
    scanner,
  };
}

function compileRule(rule: PolicyRule, index: number, labels: Record<string, string>): CompiledRule {
  const detectors = Array.isArray(rule.detector) ? rule.detector : [rule.detector];
  const base = {
    id: rule.id,
    index,
    action: rule.action,
    stages: new Set<Stage>(rule.stages ?? stages),
    in: rule.condition?.in ?? (detectors.every((detector) => detector.startsWith('injection')) ? 'all' : 'text'),
    minConfidence: rule.condition?.minConfidence ?? 0,
    minCount: rule.condition?.minCount ?? 1,
  } as const;
  if (detectors.includes('pattern')) {
    const compiled = compileTenantPattern(rule.pattern ?? '', { caseInsensitive: rule.caseInsensitive ?? false });
    if (!compiled.ok) throw new PolicyCompilationError(rule.id, `pattern ${compiled.reason}`);
    const type = (rule.type ?? 'pii.pattern') as AnyFindingType;
    labels[type] ??= rule.label ?? `[${type.slice(type.indexOf('.') + 1).toUpperCase()}]`;
    return { ...base, kind: 'pattern', selects: () => false, pattern: { matcher: compiled.pattern, type } };
  }
  if (detectors.includes('topic')) {
    const name = rule.topic ?? rule.id;
    const type: AnyFindingType =
      rule.action === 'block'
        ? FindingType.deniedTopic
        : rule.action === 'escalate'
          ? FindingType.escalatedTopic
          : 'topic.matched';
    return {
      ...base,
      kind: 'topic',
      selects: () => false,
      topic: { name, type, match: compileTopics([{ name, phrases: rule.phrases ?? [] }]) },
    };
  }
  const wanted = new Set(detectors);
  const selects = (type: AnyFindingType) => wanted.has(type) || wanted.has(type.slice(0, type.indexOf('.')));
  return { ...base, kind: 'builtin', selects };
}

function planStage(all: readonly CompiledRule[], stage: Stage): StagePlan {
  const rules = all.filter((rule) => rule.stages.has(stage));
  const scope = (where: 'text' | 'contexts'): ScopePlan => {
    const inScope = rules.filter((rule) => rule.in === where || rule.in === 'all');
    const builtin = inScope.filter((rule) => rule.kind === 'builtin');
    const wants = (type: AnyFindingType) => builtin.some((rule) => rule.selects(type));
    const scanDepth = scanDepthFor(wants, builtinFindingTypes);
    const injection = builtin.some((rule) => rule.selects(FindingType.injection));
    const patterns = inScope.filter((rule) => rule.kind === 'pattern');
    const topics = inScope.filter((rule) => rule.kind === 'topic');
    return {
      scanDepth,
      wants,
      injection,
      patterns,
      topics,
      empty: scanDepth === 0 && !injection && patterns.length === 0 && topics.length === 0,
    };
  };
  return { rules, text: scope('text'), contexts: scope('contexts') };
}
