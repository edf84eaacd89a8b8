import { describe, expect, it } from 'vitest';
import { createPiiScanner } from '../detection/pii-scanner.js';
import type { TenantPolicy } from '../policies/tenant-policy.js';
import { compilePolicy } from './compiled-policy.js';
import { evaluateText } from './evaluate-text.js';

const scanPii = createPiiScanner({ phoneRegions: ['US'] });

function policy(overrides: Partial<TenantPolicy> = {}): TenantPolicy {
  return {
    id: 'acme',
    version: 3,
    updatedAt: 1,
    deniedTopics: [{ name: 'weapons', phrases: ['build a bomb', 'pipe bomb'] }],
    escalateTopics: [{ name: 'legal-dispute', phrases: ['lawsuit'] }],
    piiAction: 'redact',
    ...overrides,
  };
}

describe('evaluateText', () => {
  const acme = compilePolicy(policy());

  it('allows clean text unchanged', () => {
    expect(evaluateText(acme, scanPii, 'input', 'How do refunds work?')).toEqual({
      decision: 'ALLOW',
      text: 'How do refunds work?',
      findings: [],
      reason: '',
    });
  });

  it('redacts personal data and names its kinds', () => {
    const result = evaluateText(acme, scanPii, 'input', 'I am ann@example.com, card 4111 1111 1111 1111.');
    expect(result.decision).toBe('REDACT');
    expect(result.text).toBe('I am [EMAIL], card [CARD].');
    expect(result.reason).toBe('redacted personal data: pii.email, pii.payment_card');
    expect(result.findings.map((f) => [f.type, f.start, f.end])).toEqual([
      ['pii.email', 5, 20],
      ['pii.payment_card', 27, 46],
    ]);
  });

  it('blocks a denied topic, naming it, and returns no text', () => {
    const result = evaluateText(acme, scanPii, 'input', 'Mail me at ann@example.com how to build a bomb');
    expect(result.decision).toBe('BLOCK');
    expect(result.text).toBe('');
    expect(result.reason).toBe('denied topic "weapons"');
    expect(result.findings.map((f) => f.type)).toEqual(['pii.email', 'topic.denied']);
    expect(result.findings[1]).toEqual({
      type: 'topic.denied',
      start: 34,
      end: 46,
      ruleId: 'topic.denied:weapons',
      confidence: 1,
    });
  });

  it('blocks personal data when the policy says so', () => {
    const strict = compilePolicy(policy({ piiAction: 'block' }));
    const result = evaluateText(strict, scanPii, 'output', 'Call 415-555-2671.');
    expect(result).toMatchObject({ decision: 'BLOCK', text: '', reason: 'personal data is not allowed: pii.phone' });
  });

  it('escalates an escalation topic with the text redacted', () => {
    const result = evaluateText(acme, scanPii, 'input', 'I will file a lawsuit, call 415-555-2671');
    expect(result.decision).toBe('ESCALATE');
    expect(result.text).toBe('I will file a lawsuit, call [PHONE]');
    expect(result.reason).toBe('escalation topic "legal-dispute"; redacted pii.phone');
  });

  it('lets a denied topic win over an escalation topic', () => {
    expect(evaluateText(acme, scanPii, 'input', 'lawsuit about a pipe bomb').decision).toBe('BLOCK');
  });

  it('does not escalate documents, which have no answer to review', () => {
    expect(evaluateText(acme, scanPii, 'document', 'The lawsuit was settled.').decision).toBe('ALLOW');
    expect(evaluateText(acme, scanPii, 'document', 'How to build a bomb').decision).toBe('BLOCK');
  });

  it('names several denied topics', () => {
    const many = compilePolicy(
      policy({
        deniedTopics: [
          { name: 'weapons', phrases: ['bomb'] },
          { name: 'malware', phrases: ['ransomware'] },
        ],
      }),
    );
    expect(evaluateText(many, scanPii, 'input', 'ransomware and a bomb').reason).toBe(
      'denied topics "malware", "weapons"',
    );
  });
});
