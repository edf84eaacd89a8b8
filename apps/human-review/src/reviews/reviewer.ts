/**
 * Who reads and who acts on review items. Reading needs the caller's tenant and ACL groups;
 * acting (claiming, releasing, deciding) also needs a person to name: leases are held and
 * decisions are signed by that name, and `keel.review.decided.v1` carries it.
 *
 * Today the name is the API key's configured name (inbound/reviewer-identity.ts resolves it);
 * reviewer accounts replace that resolution, not these types.
 */
export interface Reader {
  tenantId: string;
  /** The caller's ACL groups: what restricted items they may read. */
  aclGroups: readonly string[];
}

export interface Reviewer extends Reader {
  /** The person acting: recorded as `claimedBy` and as the decision's `reviewer`. */
  name: string;
}
