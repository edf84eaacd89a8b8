/**
 * The dependency rules are only worth having if they really forbid: lint a few imports that must
 * fail and one that must pass, through the same ESLint configuration CI uses.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function ruleViolations(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((message) => `${message.ruleId}: ${message.message}`);
}

describe('module boundaries', () => {
  it('forbid one app importing another', async () => {
    const violations = await ruleViolations(
      'apps/policy/src/detection/probe.ts',
      "import { startIngestionService } from '@keel/ingestion';\nexport const probe = startIngestionService;\n",
    );
    expect(violations.join('\n')).toMatch(/@nx\/enforce-module-boundaries/);
  });

  it('forbid domain code from reaching drivers and adapters', async () => {
    const violations = await ruleViolations(
      'apps/evaluation/src/scoring/probe.ts',
      "import { Kafka } from 'kafkajs';\nimport { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';\nexport const probe = [Kafka, createEmbeddedDocumentStore];\n",
    );
    expect(violations.filter((violation) => violation.startsWith('no-restricted-imports'))).toHaveLength(2);
  });

  it('forbid a lower layer from depending on a higher one', async () => {
    const violations = await ruleViolations(
      'libs/platform/src/probe.ts',
      "import { createKafkaEventBus } from '@keel/event-bus/kafka';\nexport const probe = createKafkaEventBus;\n",
    );
    expect(violations.join('\n')).toMatch(/type:platform.*can only depend on/);
  });

  it('let a composition root choose adapters', async () => {
    const violations = await ruleViolations(
      'apps/evaluation/src/compose.ts',
      "import { chooseEventBus } from '@keel/adapters';\nexport const probe = chooseEventBus;\n",
    );
    expect(violations).toEqual([]);
  });
});
