import { describe, expect, it } from 'vitest';
import { reviewIdFor } from './review-id.js';

describe('reviewIdFor', () => {
  it('is a stable UUIDv8 per tenant, request and reason', () => {
    const id = reviewIdFor('acme', 'req-1', 'LOW_SCORE');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(reviewIdFor('acme', 'req-1', 'LOW_SCORE')).toBe(id);
  });

  it('differs when any part differs', () => {
    const id = reviewIdFor('acme', 'req-1', 'LOW_SCORE');
    expect(reviewIdFor('globex', 'req-1', 'LOW_SCORE')).not.toBe(id);
    expect(reviewIdFor('acme', 'req-2', 'LOW_SCORE')).not.toBe(id);
    expect(reviewIdFor('acme', 'req-1', 'POLICY_ESCALATION')).not.toBe(id);
  });
});
