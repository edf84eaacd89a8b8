/**
 * Bounds on what a Check or Scan may carry, far above what Keel's callers send (the gateway checks
 * questions of at most 4,096 characters and answers grounded on at most 50 chunks; ingestion scans
 * documents that fit a gRPC message, 4 MiB) and low enough that one call stays cheap. A request over
 * a bound is INVALID_ARGUMENT naming the field as the proto spells it (`contexts[3]`,
 * `read_requires[0].any_of[2]`), before any text is read. The README lists them.
 */
import type { CheckRequest, ScanRequest } from '@keel/contracts/policy/v1';
import { combineReadRequirements, type GroupRequirement, type Violation } from '@keel/platform';

export const REQUEST_LIMITS = {
  /** tenant_id, request_id, document_id. */
  idLength: 512,
  /** A question or an answer. */
  checkTextLength: 262_144,
  contexts: 200,
  contextLength: 131_072,
  readRequirements: 256,
  requirementGroups: 256,
  groupLength: 256,
  /**
   * A whole document. gRPC's message limit (4 MiB) bounds the request and its response, which
   * carries the redacted text (a label can be longer than what it replaces): 3,000,000 characters
   * leave room for both.
   */
  scanTextLength: 3_000_000,
} as const;

const atMost = (limit: number, what = 'characters') => `must be at most ${limit} ${what}`;

function checkLength(violations: Violation[], field: string, value: string, limit: number): void {
  if (value.length > limit) violations.push({ field, message: atMost(limit) });
}

/**
 * The read requirements of a Check, canonical (sorted, repeats merged), or violations. A
 * requirement without a group would be dropped as "no restriction" by the canonical form, which
 * would widen who may read the review it is copied onto: it is refused instead.
 */
function readRequirementsOf(
  requirements: readonly GroupRequirement[],
  violations: Violation[],
): GroupRequirement[] | undefined {
  if (requirements.length > REQUEST_LIMITS.readRequirements) {
    violations.push({
      field: 'read_requires',
      message: atMost(REQUEST_LIMITS.readRequirements, 'requirements'),
    });
    return undefined;
  }
  const before = violations.length;
  requirements.forEach((requirement, index) => {
    const field = `read_requires[${index}].any_of`;
    if (requirement.anyOf.length > REQUEST_LIMITS.requirementGroups) {
      violations.push({ field, message: atMost(REQUEST_LIMITS.requirementGroups, 'groups') });
      return;
    }
    if (!requirement.anyOf.some((group) => group.trim() !== '')) {
      violations.push({ field, message: 'must name at least one group' });
    }
    requirement.anyOf.forEach((group, groupIndex) => {
      checkLength(violations, `${field}[${groupIndex}]`, group, REQUEST_LIMITS.groupLength);
    });
  });
  return violations.length > before ? undefined : combineReadRequirements(requirements);
}

/** The violations of a Check's sizes, and its canonical read requirements. */
export function checkRequestViolations(request: CheckRequest): {
  violations: Violation[];
  readRequires: GroupRequirement[];
} {
  const violations: Violation[] = [];
  checkLength(violations, 'request_id', request.requestId, REQUEST_LIMITS.idLength);
  checkLength(violations, 'text', request.text, REQUEST_LIMITS.checkTextLength);
  if (request.contexts.length > REQUEST_LIMITS.contexts) {
    violations.push({ field: 'contexts', message: atMost(REQUEST_LIMITS.contexts, 'contexts') });
  } else {
    request.contexts.forEach((context, index) => {
      checkLength(violations, `contexts[${index}]`, context, REQUEST_LIMITS.contextLength);
    });
  }
  const readRequires = readRequirementsOf(request.readRequires, violations) ?? [];
  return { violations, readRequires };
}

export function scanRequestViolations(request: ScanRequest): Violation[] {
  const violations: Violation[] = [];
  checkLength(violations, 'document_id', request.documentId, REQUEST_LIMITS.idLength);
  checkLength(violations, 'text', request.text, REQUEST_LIMITS.scanTextLength);
  return violations;
}
