/**
 * Reads a policy written in YAML, and says where it is wrong: every problem with its line, its
 * column and the reason (`line 7, column 14: rules[1].pattern: is not supported by the
 * linear-time engine (RE2): ...`). YAML syntax errors, duplicate keys and schema violations are
 * all reported this way, so a tenant can fix the file without guessing.
 */
import { LineCounter, parseDocument, stringify } from 'yaml';
import {
  type PolicyDocument,
  type PolicyIssue,
  type PolicyValidation,
  validatePolicyDocument,
} from './policy-document.js';

export const POLICY_SOURCE_LIMIT = 262_144;

export function parsePolicyYaml(source: string): PolicyValidation {
  if (source.length > POLICY_SOURCE_LIMIT) {
    return {
      ok: false,
      issues: [{ path: '', message: `is longer than ${POLICY_SOURCE_LIMIT} characters`, line: 1, column: 1 }],
      paths: [[]],
    };
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const position = lineCounter.linePos(offset);
    return { line: position.line, column: position.col };
  };
  if (document.errors.length > 0) {
    const issues: PolicyIssue[] = document.errors.map((error) => ({
      path: '',
      message: error.message.split('\n')[0] ?? error.message,
      ...at(error.pos[0]),
    }));
    return { ok: false, issues, paths: issues.map(() => []) };
  }
  let raw: unknown;
  try {
    // Aliases are bounded so a small file cannot expand into a huge one ("billion laughs").
    raw = document.toJS({ maxAliasCount: 50 });
  } catch (error) {
    return { ok: false, issues: [{ path: '', message: (error as Error).message, line: 1, column: 1 }], paths: [[]] };
  }
  const validation = validatePolicyDocument(raw ?? {});
  if (validation.ok) return validation;
  const issues = validation.issues.map((issue, index) => {
    const path = [...(validation.paths[index] ?? [])];
    // The deepest node that exists: a missing field is reported on the mapping that lacks it.
    const onKey = validation.onKey?.[index] === true;
    while (path.length > 0) {
      const node = document.getIn(path, true) as { range?: [number, number, number] } | undefined;
      const keyNode = keyNodeOf(document, path);
      // A wrong value is shown where the value is; an unknown field where its key is.
      const range = onKey ? (keyNode?.range ?? node?.range) : (node?.range ?? keyNode?.range);
      if (range) return { ...issue, ...at(range[0]) };
      path.pop();
    }
    const root = document.contents as { range?: [number, number, number] } | null;
    return { ...issue, ...at(root?.range?.[0] ?? 0) };
  });
  return { ok: false, issues, paths: validation.paths };
}

/** The key node of the last path element when it names a mapping's key (an unknown field). */
function keyNodeOf(
  document: ReturnType<typeof parseDocument>,
  path: readonly (string | number)[],
): { range?: [number, number, number] } | undefined {
  const last = path[path.length - 1];
  if (typeof last !== 'string') return undefined;
  const parent = path.length === 1 ? document.contents : document.getIn(path.slice(0, -1), true);
  const items = (parent as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | null)?.items;
  return items?.find((item) => item.key?.value === last)?.key;
}

/** One line per problem: `line 7, column 14: rules[1].pattern: reason`. */
export function describePolicyIssues(issues: readonly PolicyIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.line !== undefined ? `line ${issue.line}, column ${issue.column}: ` : '';
      return `${where}${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
    })
    .join('\n');
}

/** A document as YAML (for a policy stored from JSON, shown back as YAML). */
export function stringifyPolicyYaml(document: PolicyDocument): string {
  return stringify(document);
}
