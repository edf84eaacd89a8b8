import { isKeelError, unavailable } from '@keel/platform';
import { createTestLogger } from '@keel/platform/testing';
import { describe, expect, it } from 'vitest';
import type { PolicyCheck, PolicyGate } from '../answering/policy-gate.js';
import { withFailureModes } from './fail-safe-policy-gate.js';
import { parseFailureModes } from './failure-mode.js';
import { policyStatusOf } from './policy-status.js';

const down: PolicyGate = {
  async check() {
    throw unavailable('policy', 'connect ECONNREFUSED 127.0.0.1:50052');
  },
};
const check = (tenantId: string): PolicyCheck => ({
  tenantId,
  stage: 'input',
  text: 'hello ann@example.com',
  contexts: [],
  requestId: 'r1',
  readRequires: [],
});

describe('withFailureModes', () => {
  const { logger } = createTestLogger('fail-safe');
  const gate = withFailureModes(down, parseFailureModes('closed,open-co=open'), logger);

  it('refuses with a 503 naming the reason for a tenant that fails closed', async () => {
    const error = await gate.check(check('acme')).catch((caught: unknown) => caught);
    expect(isKeelError(error) && error.httpStatus).toBe(503);
    expect((error as Error).message).toBe(
      'policy unavailable: connect ECONNREFUSED 127.0.0.1:50052 (guardrails fail closed for this tenant)',
    );
  });

  it('lets the text through unchecked, marked, for a tenant that fails open', async () => {
    const verdict = await gate.check(check('open-co'));
    expect(verdict).toMatchObject({ decision: 'ALLOW', text: 'hello ann@example.com', decisionId: '' });
    expect(verdict.failOpen).toContain('ECONNREFUSED');
    expect(policyStatusOf([undefined, verdict])).toBe('unavailable-fail-open');
  });

  it('passes other errors and answers through', async () => {
    const broken = withFailureModes(
      {
        async check() {
          throw new Error('bug');
        },
      },
      parseFailureModes('open'),
      logger,
    );
    await expect(broken.check(check('x'))).rejects.toThrow('bug');
  });
});
