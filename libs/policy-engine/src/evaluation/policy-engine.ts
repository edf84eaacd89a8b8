/**
 * The engine's public face: `compilePolicy(document)` → a `CompiledPolicy` whose `check` decides
 * one text (and its contexts) the way the policy service's Check does, in process and with no
 * I/O. Detectors that hold state (the phone regions, the name lists loaded once) live in an
 * engine shared by every policy compiled with it.
 */
import type { AnyFindingType, Finding } from '../detection/finding.js';
import { createPiiScanner } from '../detection/pii-scanner.js';
import type { PolicyDocument } from '../policy/policy-document.js';
import { compileProgram, type PolicyProgram, stages } from './compiled-policy.js';
import type { Decision, Evaluation, FindingAction, FiredRule, PolicyRuleFired, Stage } from './decision.js';
import { evaluateDetailed } from './evaluate-text.js';
import { reportedFindings } from './reported-findings.js';

export interface PolicyEngineOptions {
  /** Regions whose national phone formats count (ISO 3166-1 alpha-2); default `['US']`. */
  phoneRegions?: readonly string[];
}

export interface CompileOptions {
  tenantId?: string;
  /** The label decisions carry, e.g. `acme@v3`; default `unversioned`. */
  policyVersion?: string;
}

export interface CheckRequest {
  stage: Stage;
  text: string;
  /** Retrieved passages: looked at by the rules that look in contexts (injection, by default). */
  contexts?: readonly string[];
}

/** A finding as a check reports it: where, what, which detector rule and which policy rule. */
export interface CheckedFinding {
  type: AnyFindingType;
  /** UTF-16 offsets in the text (or in its context) as given, end exclusive. */
  start: number;
  end: number;
  /** The detector's rule (`pii.email.dot-atom`, `topic.denied:weapons`, `pii.employee_id.pattern:emp-id`). */
  ruleId: string;
  confidence: number;
  /** What the policy did with it (`allow` when no rule took it: reported only). */
  action: FindingAction;
  /** The id of the policy rule that took it. */
  policyRule?: string;
  /** Set for a finding in `contexts[context]`; offsets are in that context. */
  context?: number;
}

export interface CheckResult {
  decision: Decision;
  /** Why, for people; empty for ALLOW. */
  reason: string;
  /** The text to use from here on: redacted for REDACT and ESCALATE, empty for BLOCK. */
  redactedText: string;
  /** The contexts, redacted where a rule redacts in them (empty for BLOCK). */
  redactedContexts: string[];
  /** At most MAX_REPORTED_FINDINGS, text first then contexts (every type named); `findingCount` has them all. */
  findings: CheckedFinding[];
  findingCount: number;
  policyVersion: string;
  /** The policy's rules that took findings, in the policy's order. */
  rulesFired: PolicyRuleFired[];
  /** Per detector rule, with the policy rule that took its findings. */
  detectorRulesFired: FiredRule[];
}

export interface CompiledPolicy {
  tenantId: string;
  policyVersion: string;
  format: 'rules' | 'json';
  /** The rules in the policy's order (the JSON format's, as rules: see legacy-rules.ts). */
  rules: readonly { id: string; action: FindingAction; stages: readonly Stage[] }[];
  injectionClassifier: boolean;
  check(request: CheckRequest): CheckResult;
  /** The full evaluation (every finding, unreported ones included) for callers that need it. */
  evaluate(stage: Stage, text: string, contexts?: readonly string[]): Evaluation;
}

export interface PolicyEngine {
  compile(document: PolicyDocument, options?: CompileOptions): CompiledPolicy;
}

export function createPolicyEngine(options: PolicyEngineOptions = {}): PolicyEngine {
  const scanner = createPiiScanner({ phoneRegions: options.phoneRegions ?? ['US'] });
  return { compile: (document, compileOptions) => compiledPolicyOf(compileProgram(document, scanner), compileOptions) };
}

const engines = new Map<string, PolicyEngine>();

/** The engine for these options, created once per set of phone regions. */
export function sharedPolicyEngine(options: PolicyEngineOptions = {}): PolicyEngine {
  const key = (options.phoneRegions ?? ['US']).join(',');
  let engine = engines.get(key);
  if (!engine) {
    engine = createPolicyEngine(options);
    engines.set(key, engine);
  }
  return engine;
}

/** Compiles a validated document (validatePolicyDocument / parsePolicyYaml) with the shared engine. */
export function compilePolicy(
  document: PolicyDocument,
  options: CompileOptions & PolicyEngineOptions = {},
): CompiledPolicy {
  return sharedPolicyEngine(options).compile(document, options);
}

function compiledPolicyOf(program: PolicyProgram, options: CompileOptions = {}): CompiledPolicy {
  const policyVersion = options.policyVersion ?? 'unversioned';
  return {
    tenantId: options.tenantId ?? '',
    policyVersion,
    format: program.format,
    rules: program.rules.map((rule) => ({
      id: rule.id,
      action: rule.action,
      stages: stages.filter((stage) => rule.stages.has(stage)),
    })),
    injectionClassifier: program.injectionClassifier,
    evaluate: (stage, text, contexts = []) => evaluateDetailed(program, stage, text, contexts).evaluation,
    check(request) {
      const { evaluation, attribution } = evaluateDetailed(program, request.stage, request.text, request.contexts);
      const checked = (finding: Finding, context?: number): CheckedFinding => {
        const by = attribution.get(finding);
        return {
          type: finding.type,
          start: finding.start,
          end: finding.end,
          ruleId: finding.ruleId,
          confidence: finding.confidence,
          action: by?.action ?? 'allow',
          ...(by ? { policyRule: by.rule.id } : {}),
          ...(context !== undefined ? { context } : {}),
        };
      };
      const all = [
        ...evaluation.findings.map((finding) => checked(finding)),
        ...evaluation.contextFindings.map((finding) => checked(finding, finding.context)),
      ];
      return {
        decision: evaluation.decision,
        reason: evaluation.reason,
        redactedText: evaluation.text,
        redactedContexts: evaluation.contexts,
        findings: reportedFindings(all),
        findingCount: all.length,
        policyVersion,
        rulesFired: evaluation.rulesFired,
        detectorRulesFired: evaluation.fired,
      };
    },
  };
}
