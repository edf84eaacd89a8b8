/**
 * The one place that turns a request's credentials into a reader or a reviewer. Today a reviewer
 * is the name configured for the API key (`KEEL_API_KEYS` entry `key=tenant:groups:name`; the demo
 * key's name is `demo`), never a digest of the key: decisions name a person. Reviewer accounts
 * replace this resolution and nothing else.
 */
import { principalOf } from '@keel/platform';
import type express from 'express';
import { reviewerUnnamed } from '../reviews/review-errors.js';
import type { Reader, Reviewer } from '../reviews/reviewer.js';

/** Whoever may read: the key's tenant and ACL groups. */
export function readerOf(res: express.Response): Reader {
  const principal = principalOf(res);
  return { tenantId: principal.tenantId, aclGroups: [...principal.aclGroups] };
}

/** Whoever acts on an item: a reader with a name, else 403 `REVIEW.REVIEWER_UNNAMED`. */
export function reviewerOf(res: express.Response): Reviewer {
  const principal = principalOf(res);
  const name = principal.name?.trim();
  if (!name) throw reviewerUnnamed();
  // A named API key is a person's or a script's: it reviews and may run a lead's bulk actions, never administer.
  return { tenantId: principal.tenantId, aclGroups: [...principal.aclGroups], name, roles: ['reviewer', 'lead'] };
}
