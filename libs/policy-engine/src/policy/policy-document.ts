/**
 * A tenant's policy document, in either format: the rules of policy as code (rules-policy.ts,
 * usually written in YAML) or the JSON format with topics and per-family actions
 * (legacy-policy.ts). Validation names each problem by its path (`rules[2].pattern`); the YAML
 * reader adds the line and column (policy-yaml.ts).
 */
import type { z } from 'zod';
import { type PolicyContent, policyContentSchema } from './legacy-policy.js';
import { type RulesPolicy, rulesPolicySchema } from './rules-policy.js';

export type PolicyDocument = RulesPolicy | PolicyContent;

export interface PolicyIssue {
  /** Where, as a path into the document: `rules[2].pattern` (empty for the document itself). */
  path: string;
  message: string;
  /** 1-based, when the document was read from YAML. */
  line?: number;
  column?: number;
}

export type PolicyValidation =
  | { ok: true; document: PolicyDocument }
  | {
      ok: false;
      issues: PolicyIssue[];
      /** Each issue's path as keys and indices, and whether it names a key (an unknown field) rather than a value. */
      paths: (string | number)[][];
      onKey?: boolean[];
    };

export function isRulesPolicy(document: PolicyDocument): document is RulesPolicy {
  return 'rules' in document;
}

/** `rules[2].pattern` from `['rules', 2, 'pattern']`. */
export function pathLabel(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/** A document in either format: one with `rules` is policy as code, anything else the JSON format. */
export function validatePolicyDocument(raw: unknown): PolicyValidation {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, issues: [{ path: '', message: 'must be a mapping (an object)' }], paths: [[]], onKey: [false] };
  }
  const parsed = 'rules' in raw ? rulesPolicySchema.safeParse(raw) : policyContentSchema.strict().safeParse(raw);
  if (parsed.success) return { ok: true, document: parsed.data };
  return { ok: false, ...issuesOf(parsed.error) };
}

function issuesOf(error: z.ZodError): { issues: PolicyIssue[]; paths: (string | number)[][]; onKey: boolean[] } {
  const issues: PolicyIssue[] = [];
  const paths: (string | number)[][] = [];
  const onKey: boolean[] = [];
  for (const issue of error.issues) {
    // An unknown key is reported on its parent; point at the key itself.
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    for (const key of keys) {
      const path = [...issue.path, ...(key === undefined ? [] : [key])].filter(
        (part): part is string | number => typeof part !== 'symbol',
      );
      const message = issue.code === 'unrecognized_keys' ? 'is not a known field' : issue.message;
      issues.push({ path: pathLabel(path), message });
      paths.push(path);
      onKey.push(key !== undefined);
    }
  }
  return { issues, paths, onKey };
}
