/**
 * Policy as code: a tenant's policy as a list of rules, written in YAML (policy-yaml.ts) or JSON.
 *
 * ```yaml
 * rules:
 *   - id: no-cards
 *     detector: pii.payment_card        # a type, a family (pii, secret, injection), a list of them,
 *     stages: [input, output]           # or `pattern` / `topic` with the fields below
 *     condition: { minConfidence: 0.9, minCount: 1, in: text }
 *     action: block                     # allow | redact | block | escalate
 * ```
 *
 * Rules are tried in order and a finding belongs to the first rule that selects it (its detector,
 * the stage, where it was found and the condition): write exceptions above general rules. A
 * detector no rule of a stage selects does not run at that stage.
 */
import { z } from 'zod';
import { FindingType } from '../detection/finding.js';
import { findingActionSchema } from './legacy-policy.js';
import { compileTenantPattern, PATTERN_LIMITS } from './tenant-patterns.js';

export const stageSchema = z.enum(['input', 'output', 'document']);

/** The built-in finding types a rule can name (topics come from `topic` rules). */
export const builtinFindingTypes = Object.values(FindingType).filter(
  (type) => type.startsWith('pii.') || type.startsWith('secret.') || type.startsWith('injection.'),
);

const families = ['pii', 'secret', 'injection'] as const;

const detectorNames: ReadonlySet<string> = new Set([...families, ...builtinFindingTypes, 'pattern', 'topic']);

export const detectorNameSchema = z
  .string()
  .refine(
    (name) => detectorNames.has(name),
    `must be a family (${families.join(', ')}), a finding type (${builtinFindingTypes.join(', ')}), pattern or topic`,
  );

const ruleIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][\w.:@-]{0,99}$/,
    'must be 1-100 letters, digits, ".", "_", ":", "@" or "-", starting with a letter or digit',
  );

/** A pattern rule's finding type: its own entity under pii or secret, e.g. `pii.employee_id`. */
const patternTypeSchema = z
  .string()
  .regex(
    /^(pii|secret)\.[a-z0-9_]{1,60}$/,
    'must be pii.<entity> or secret.<kind> in lowercase letters, digits and "_"',
  );

export const conditionSchema = z
  .object({
    /** A finding counts only at or above this confidence (0-1; classifier findings carry their score). */
    minConfidence: z.number().min(0).max(1).optional(),
    /** The rule fires only when at least this many findings count (per check, text and contexts together). */
    minCount: z.number().int().min(1).max(100_000).optional(),
    /** Where findings count: the checked text, the contexts (retrieved passages), or both. */
    in: z.enum(['text', 'contexts', 'all']).optional(),
  })
  .strict();

export const ruleSchema = z
  .object({
    id: ruleIdSchema,
    description: z.string().max(500).optional(),
    detector: z.union([detectorNameSchema, z.array(detectorNameSchema).min(1).max(50)]),
    /** `detector: pattern`: an RE2 regular expression, matched on the normalised text. */
    pattern: z.string().max(PATTERN_LIMITS.length).optional(),
    caseInsensitive: z.boolean().optional(),
    /** `detector: pattern`: the finding type (default `pii.pattern`). */
    type: patternTypeSchema.optional(),
    /** `detector: pattern`: the redaction placeholder (default from the type: `[EMPLOYEE_ID]`). */
    label: z.string().min(1).max(40).optional(),
    /** `detector: topic`: the topic's name and phrases. */
    topic: z.string().trim().min(1).max(100).optional(),
    phrases: z.array(z.string().trim().min(1).max(200)).min(1).max(500).optional(),
    stages: z.array(stageSchema).min(1).max(3).optional(),
    condition: conditionSchema.optional(),
    action: findingActionSchema,
  })
  .strict()
  .superRefine((rule, context) => {
    const detectors = Array.isArray(rule.detector) ? rule.detector : [rule.detector];
    const kind = detectors.includes('pattern') ? 'pattern' : detectors.includes('topic') ? 'topic' : 'builtin';
    if (kind !== 'builtin' && detectors.length > 1) {
      context.addIssue({
        code: 'custom',
        path: ['detector'],
        message: `${kind} cannot be combined with other detectors`,
      });
      return;
    }
    const only = (fields: readonly (keyof typeof rule)[], what: string) => {
      for (const field of fields) {
        if (rule[field] !== undefined) {
          context.addIssue({ code: 'custom', path: [field], message: `is only for ${what}` });
        }
      }
    };
    if (kind === 'pattern') {
      only(['topic', 'phrases'], 'detector: topic');
      if (rule.pattern === undefined) {
        context.addIssue({ code: 'custom', path: ['pattern'], message: 'is required with detector: pattern' });
      } else {
        const compiled = compileTenantPattern(rule.pattern, { caseInsensitive: rule.caseInsensitive ?? false });
        if (!compiled.ok) context.addIssue({ code: 'custom', path: ['pattern'], message: compiled.reason });
      }
    } else if (kind === 'topic') {
      only(['pattern', 'caseInsensitive', 'type', 'label'], 'detector: pattern');
      if (rule.topic === undefined) {
        context.addIssue({ code: 'custom', path: ['topic'], message: 'is required with detector: topic (its name)' });
      }
      if (rule.phrases === undefined) {
        context.addIssue({ code: 'custom', path: ['phrases'], message: 'is required with detector: topic' });
      }
    } else {
      only(['pattern', 'caseInsensitive', 'type', 'label'], 'detector: pattern');
      only(['topic', 'phrases'], 'detector: topic');
    }
  });

export const rulesPolicySchema = z
  .object({
    /** Optional marker of the format; the only version is `keel.policy/v1`. */
    apiVersion: z.literal('keel.policy/v1').optional(),
    description: z.string().max(2000).optional(),
    /** Adds the trained classifier to the injection heuristics for every injection rule. */
    injectionClassifier: z.boolean().optional(),
    rules: z.array(ruleSchema).max(500),
  })
  .strict()
  .superRefine((policy, context) => {
    const seen = new Map<string, number>();
    policy.rules.forEach((rule, index) => {
      const first = seen.get(rule.id);
      if (first !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['rules', index, 'id'],
          message: `duplicates the id of rules[${first}]`,
        });
      } else {
        seen.set(rule.id, index);
      }
    });
  });

export type PolicyStage = z.infer<typeof stageSchema>;
export type PolicyRule = z.infer<typeof ruleSchema>;
export type RuleCondition = z.infer<typeof conditionSchema>;
export type RulesPolicy = z.infer<typeof rulesPolicySchema>;
