/**
 * Who reads and who acts on review items. Reading needs the caller's tenant and ACL groups;
 * acting (claiming, releasing, deciding) also needs a person to name: leases are held and
 * decisions are signed by that name, and `keel.review.decided.v1` carries it.
 *
 * The name and roles come from a reviewer account (the console's session) or from the API key's
 * configured name (inbound/reviewer-identity.ts resolves both); these types do not depend on which.
 */
export interface Reader {
  tenantId: string;
  /** The caller's ACL groups: what restricted items they may read. */
  aclGroups: readonly string[];
}

/** Each role includes the ones before it: an admin may do all a lead may, a lead all a reviewer may. */
export const REVIEW_ROLES = ['reviewer', 'lead', 'admin'] as const;
export type ReviewRole = (typeof REVIEW_ROLES)[number];

export interface Reviewer extends Reader {
  /** The person acting: recorded as `claimedBy` and as the decision's `reviewer`. */
  name: string;
  /** What the person may do beyond reviewing (leads: bulk actions, agreement, audit; admins: accounts, queues). */
  roles: readonly ReviewRole[];
  /** The reviewer account, when the caller signed in to the console (absent for API keys). */
  accountId?: string;
}

/** Whether `reviewer` holds `role`, directly or through a role that includes it. */
export function hasRole(reviewer: Pick<Reviewer, 'roles'>, role: ReviewRole): boolean {
  const needed = REVIEW_ROLES.indexOf(role);
  return reviewer.roles.some((held) => REVIEW_ROLES.indexOf(held) >= needed);
}
