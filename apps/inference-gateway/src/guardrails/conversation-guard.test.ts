import { isKeelError } from '@keel/platform';
import { describe, expect, it } from 'vitest';
import { checkConversation, messageBlocked } from './conversation-guard.js';
import { createFakePolicyGate } from './fake-policy-gate.fixture.js';

describe('checkConversation', () => {
  it('checks every message, the system prompt and earlier turns too, and maps findings to their message', async () => {
    const gate = createFakePolicyGate();
    const parts = [
      { message: 0, path: 'content', text: 'You help ops@acme.example with refunds.' },
      { message: 1, path: 'content', text: 'My address is bo@mail.example' },
      { message: 2, path: 'content', text: 'Noted.' },
      { message: 3, path: 'content', text: '   ' },
      { message: 4, path: 'content', text: 'How long do refunds take?' },
    ];
    const result = await checkConversation(gate, { tenantId: 'acme', requestId: 'r1', parts });
    expect(gate.checks.map((check) => check.text)).toEqual([parts[0]?.text, parts[1]?.text, 'Noted.', parts[4]?.text]);
    expect(result.verdicts.map((verdict) => verdict?.text)).toEqual([
      'You help [EMAIL] with refunds.',
      'My address is [EMAIL]',
      'Noted.',
      undefined,
      'How long do refunds take?',
    ]);
    expect(result.decision).toBe('REDACT');
    expect(result.findings).toEqual([
      { message: 0, path: 'content', type: 'pii.email', start: 9, end: 25, ruleId: 'pii.email.dot-atom' },
      { message: 1, path: 'content', type: 'pii.email', start: 14, end: 29, ruleId: 'pii.email.dot-atom' },
    ]);
  });

  it('refuses the request when any message is blocked, naming that message', async () => {
    const gate = createFakePolicyGate();
    const result = await checkConversation(gate, {
      tenantId: 'acme',
      requestId: 'r1',
      parts: [
        { message: 1, path: 'content', text: 'Hello' },
        { message: 0, path: 'content', text: 'Talk about the forbidden-topic.' },
      ],
    });
    expect(result.decision).toBe('BLOCK');
    expect(result.blocked).toEqual({ message: 0, path: 'content', text: 'Talk about the forbidden-topic.' });
    const error = messageBlocked(
      result.worst as NonNullable<typeof result.worst>,
      result.blocked as NonNullable<typeof result.blocked>,
    );
    expect(isKeelError(error) && error.code).toBe('POLICY.BLOCKED');
    expect(isKeelError(error) && error.violations[0]?.field).toBe('messages.0.content');
    expect((error as Error).message).toMatch(/^messages\[0\]\.content was blocked by policy: denied topic/);
  });
});
