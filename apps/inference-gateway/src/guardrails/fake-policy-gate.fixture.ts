/**
 * A small policy for tests, reporting findings with offsets as the real one does: e-mail
 * addresses are redacted (`[EMAIL]`), `forbidden-topic` blocks, "ignore all previous
 * instructions" in a passage (a context) is injection whose action is `injectionAction`. Records
 * every check.
 */
import type { PolicyCheck, PolicyFinding, PolicyGate, PolicyVerdict } from '../answering/policy-gate.js';
import { redactSpans } from './passage-guard.js';

const email = /[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/gi;
const injection = /ignore all previous instructions/gi;

export interface FakePolicyGate extends PolicyGate {
  checks: PolicyCheck[];
}

export function createFakePolicyGate(
  options: { injectionAction?: 'block' | 'redact'; reportActions?: boolean } = {},
): FakePolicyGate {
  const checks: PolicyCheck[] = [];
  return {
    checks,
    async check(input) {
      checks.push(input);
      const findings: PolicyFinding[] = [...input.text.matchAll(email)].map((match) => ({
        type: 'pii.email',
        start: match.index,
        end: match.index + match[0].length,
        ruleId: 'pii.email.dot-atom',
        confidence: 0.99,
        ...(options.reportActions ? { action: 'redact' as const } : {}),
      }));
      const injectionAction = options.injectionAction ?? 'block';
      input.contexts.forEach((context, index) => {
        for (const match of context.matchAll(injection)) {
          findings.push({
            type: 'injection.prompt',
            start: match.index,
            end: match.index + match[0].length,
            ruleId: 'injection.prompt.override',
            confidence: 0.9,
            context: index,
            ...(options.reportActions ? { action: injectionAction } : {}),
          });
        }
      });
      const base = {
        decisionId: `d-${checks.length}`,
        policyVersion: 'test@v1',
        findingTypes: [...new Set(findings.map((finding) => finding.type))],
        findings,
      };
      const verdict = (decision: PolicyVerdict['decision'], text: string, reason = ''): PolicyVerdict => ({
        ...base,
        decision,
        text,
        reason,
      });
      if (/forbidden-topic/.test(input.text)) return verdict('BLOCK', '', 'denied topic "forbidden"');
      const injected = findings.some((finding) => finding.type === 'injection.prompt');
      if (injected && injectionAction === 'block') return verdict('BLOCK', '', 'prompt injection in contexts');
      const inText = findings.filter((finding) => finding.context === undefined);
      if (inText.length > 0 || injected) {
        return verdict('REDACT', redactSpans(input.text, inText), 'redacted personal data');
      }
      return verdict('ALLOW', input.text);
    },
  };
}
