/**
 * @keel/policy-engine: policy documents compiled into an in-process checker. See README.md.
 */

export {
  type AnyFindingType,
  type Finding,
  type FindingFamily,
  FindingType,
  familyOf,
} from './detection/finding.js';
export { isSupportedPhoneRegion } from './detection/phone-detector.js';
export { createPiiScanner, type PiiScanner } from './detection/pii-scanner.js';
export { type RedactedSpan, redact, redactionLabelOf } from './detection/redaction.js';
export {
  type PolicySnapshot,
  PolicySnapshotCache,
  type PolicySnapshotCacheOptions,
  snapshotOfPolicyChanged,
  snapshotOfTenantPolicy,
} from './distribution/policy-snapshot-cache.js';
export { PolicyCompilationError } from './evaluation/compiled-policy.js';
export type {
  CheckOutcome,
  ContextFinding,
  Decision,
  Evaluation,
  FindingAction,
  FiredRule,
  PolicyRuleFired,
  Stage,
} from './evaluation/decision.js';
export {
  type DecisionEventInput,
  type FindingSpanInput,
  MAX_EVENT_FINDING_SPANS,
  policyDecidedEvent,
  policyDecidedEventOf,
} from './evaluation/decision-event.js';
export {
  type CheckedFinding,
  type CheckRequest,
  type CheckResult,
  type CompiledPolicy,
  type CompileOptions,
  compilePolicy,
  createPolicyEngine,
  type PolicyEngine,
  type PolicyEngineOptions,
  sharedPolicyEngine,
} from './evaluation/policy-engine.js';
export { MAX_REPORTED_FINDINGS, reportedFindings } from './evaluation/reported-findings.js';
export {
  nameBasedUuid,
  POLICY_REVIEW_ID_NAMESPACE,
  type PolicyReviewInput,
  policyReviewIdOf,
  policyReviewRequestOf,
} from './evaluation/review-request.js';
export {
  canonicalContent,
  type FamilyActions,
  familyActionsSchema,
  findingActionSchema,
  type PiiAction,
  type PolicyContent,
  piiActionSchema,
  policyContentSchema,
  sameContent,
  type TopicDefinition,
  topicSchema,
} from './policy/legacy-policy.js';
export { rulesOfLegacyPolicy } from './policy/legacy-rules.js';
export {
  isRulesPolicy,
  type PolicyDocument,
  type PolicyIssue,
  type PolicyValidation,
  pathLabel,
  validatePolicyDocument,
} from './policy/policy-document.js';
export {
  describePolicyIssues,
  POLICY_SOURCE_LIMIT,
  parsePolicyYaml,
  stringifyPolicyYaml,
} from './policy/policy-yaml.js';
export {
  builtinFindingTypes,
  type PolicyRule,
  type PolicyStage,
  type RuleCondition,
  type RulesPolicy,
  ruleSchema,
  rulesPolicySchema,
} from './policy/rules-policy.js';
export { compileTenantPattern, PATTERN_LIMITS, type TenantPattern } from './policy/tenant-patterns.js';
