/**
 * Read access inside a tenant. A chunk is readable by callers who share one of its document's
 * ACL groups (no groups: the whole tenant). Anything derived from chunks (an answer quoting them,
 * the review item, evaluation and golden example made from that answer) keeps one requirement
 * per restricted source, and is readable only by a caller who meets every one of them: a caller
 * may see a derived record exactly when it could have read all of the chunks it came from.
 *
 * The shape matches `keel.common.v1.GroupRequirement`, so requirements travel through events
 * and gRPC unchanged.
 */

export interface GroupRequirement {
  /** The reader needs at least one of these groups. */
  anyOf: string[];
}

function normalisedGroups(groups: readonly string[]): string[] {
  return [...new Set(groups.map((group) => group.trim()).filter((group) => group.length > 0))].sort();
}

/**
 * The requirements of something derived from sources with the given ACL groups: unrestricted
 * sources add nothing, equal group sets count once, and the order is canonical so that equal
 * inputs store equal values.
 */
export function readRequirementsOf(sourceGroups: Iterable<readonly string[]>): GroupRequirement[] {
  const byKey = new Map<string, GroupRequirement>();
  for (const groups of sourceGroups) {
    const anyOf = normalisedGroups(groups);
    if (anyOf.length === 0) continue;
    byKey.set(anyOf.join('\u0000'), { anyOf });
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, requirement]) => requirement);
}

/** Requirements of a record derived from several others (a review of an answer, say). */
export function combineReadRequirements(
  ...lists: readonly (readonly GroupRequirement[] | undefined)[]
): GroupRequirement[] {
  return readRequirementsOf(lists.flatMap((list) => (list ?? []).map((requirement) => requirement.anyOf)));
}

/** True when a caller with these groups meets every requirement. */
export function canRead(
  callerGroups: readonly string[],
  requirements: readonly GroupRequirement[] | undefined,
): boolean {
  if (!requirements || requirements.length === 0) return true;
  const mine = new Set(callerGroups);
  return requirements.every((requirement) => requirement.anyOf.some((group) => mine.has(group)));
}

/** True when a caller with these groups may read a source carrying these ACL groups. */
export function canReadGroups(callerGroups: readonly string[], sourceGroups: readonly string[] | undefined): boolean {
  return canRead(callerGroups, readRequirementsOf([sourceGroups ?? []]));
}
