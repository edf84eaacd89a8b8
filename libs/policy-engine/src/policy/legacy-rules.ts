/**
 * The JSON format as rules: what it always meant, written the way a YAML policy says it. Denied
 * topics block everywhere; escalation topics send inputs and outputs to a person (a document has
 * no answer to review); injection is looked for in the input's text and in the contexts of every
 * stage; personal data and secrets in the text, each family under its action.
 */
import type { PolicyContent } from './legacy-policy.js';
import type { PolicyRule } from './rules-policy.js';

export function rulesOfLegacyPolicy(content: PolicyContent): PolicyRule[] {
  const injection = content.actions?.injection ?? 'block';
  return [
    ...content.deniedTopics.map(
      (topic): PolicyRule => ({
        id: `topic.denied:${topic.name}`,
        detector: 'topic',
        topic: topic.name,
        phrases: topic.phrases,
        stages: ['input', 'output', 'document'],
        action: 'block',
      }),
    ),
    ...content.escalateTopics.map(
      (topic): PolicyRule => ({
        id: `topic.escalate:${topic.name}`,
        detector: 'topic',
        topic: topic.name,
        phrases: topic.phrases,
        stages: ['input', 'output'],
        action: 'escalate',
      }),
    ),
    { id: 'injection', detector: 'injection', stages: ['input'], condition: { in: 'text' }, action: injection },
    {
      id: 'injection@contexts',
      detector: 'injection',
      stages: ['input', 'output', 'document'],
      condition: { in: 'contexts' },
      action: injection,
    },
    { id: 'pii', detector: 'pii', action: content.actions?.pii ?? content.piiAction },
    { id: 'secret', detector: 'secret', action: content.actions?.secret ?? 'redact' },
  ];
}
