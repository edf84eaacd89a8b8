/**
 * Who may see and change a document inside its tenant (the rule apps/ingestion/README.md states).
 *
 * - Reading: a caller who shares a group with the document (a tenant-wide document: everyone).
 *   A document the caller may not read is absent for it: 404 on read, overwrite and delete,
 *   exactly like a missing one, so that ids do not leak.
 * - Naming groups: a caller may only name groups it belongs to (or that the document already
 *   has: keeping a group is no change).
 * - Narrowing (removing groups, or restricting a tenant-wide document) is allowed to any caller
 *   who may read the document; widening (adding a group, or making it tenant-wide again) only to
 *   a caller that belongs to every group the document has.
 * - A key without groups can therefore only create and change tenant-wide documents.
 *
 * Upstream events have no caller: their groups are authoritative.
 */
import { canReadGroups } from '@keel/platform';
import { isTenantWide } from './ingest-request.js';

export interface DocumentWriter {
  /** The caller's groups (its API key's). */
  aclGroups: readonly string[];
}

/** The read requirement of stored groups, as `@keel/platform` expects it (empty = tenant-wide). */
export function sourceGroupsOf(groups: readonly string[] | undefined): readonly string[] {
  return groups === undefined || isTenantWide(groups) ? [] : groups;
}

export function mayRead(callerGroups: readonly string[], documentGroups: readonly string[] | undefined): boolean {
  return canReadGroups(callerGroups, sourceGroupsOf(documentGroups));
}

export const AccessCode = {
  groupNotHeld: 'DOCUMENT.ACL_GROUP_NOT_HELD',
  wideningForbidden: 'DOCUMENT.ACL_WIDENING_FORBIDDEN',
} as const;

export type WriteDecision =
  | { allowed: true }
  /** The caller may not read the document: answer as if it did not exist. */
  | { allowed: false; notFound: true }
  | { allowed: false; notFound: false; code: string; reason: string };

/**
 * May `writer` submit a version of a document that currently has `current` groups (null: no
 * such document) with `requested` groups (undefined: keep the current ones)?
 */
export function decideWrite(
  writer: DocumentWriter,
  current: readonly string[] | null,
  requested: readonly string[] | undefined,
): WriteDecision {
  if (current !== null && !mayRead(writer.aclGroups, current)) return { allowed: false, notFound: true };
  if (requested === undefined) return { allowed: true };
  const held = new Set(writer.aclGroups);
  const currentGroups = current === null ? [] : sourceGroupsOf(current);
  const wanted = sourceGroupsOf(requested);
  const notHeld = wanted.filter((group) => !held.has(group) && !currentGroups.includes(group));
  if (notHeld.length > 0) {
    return {
      allowed: false,
      notFound: false,
      code: AccessCode.groupNotHeld,
      reason: `aclGroups: the caller does not belong to ${notHeld.map((group) => `"${group}"`).join(', ')}`,
    };
  }
  // A new or tenant-wide document cannot be widened.
  if (currentGroups.length === 0) return { allowed: true };
  const widens = wanted.length === 0 || wanted.some((group) => !currentGroups.includes(group));
  if (widens && !currentGroups.every((group) => held.has(group))) {
    return {
      allowed: false,
      notFound: false,
      code: AccessCode.wideningForbidden,
      reason:
        wanted.length === 0
          ? 'aclGroups: only a caller in every group of the document may open it to the whole tenant'
          : 'aclGroups: only a caller in every group of the document may add groups to it',
    };
  }
  return { allowed: true };
}
