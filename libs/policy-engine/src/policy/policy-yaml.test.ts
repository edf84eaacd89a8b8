import { describe, expect, it } from 'vitest';
import { describePolicyIssues, parsePolicyYaml } from './policy-yaml.js';

const valid = `apiVersion: keel.policy/v1
description: Acme
rules:
  - id: employee-ids
    detector: pattern
    pattern: 'EMP-[0-9]{6}'
    type: pii.employee_id
    label: '[EMPLOYEE_ID]'
    action: redact
  - id: weapons
    detector: topic
    topic: weapons
    phrases: [build a bomb]
    stages: [input, output, document]
    action: block
  - id: cards
    detector: [pii.payment_card, pii.iban]
    condition: { minConfidence: 0.5, minCount: 1, in: text }
    action: block
`;

function issuesOf(source: string) {
  const parsed = parsePolicyYaml(source);
  if (parsed.ok) throw new Error('expected the policy to be refused');
  return parsed.issues;
}

describe('parsePolicyYaml', () => {
  it('reads a rules policy', () => {
    const parsed = parsePolicyYaml(valid);
    expect(parsed.ok).toBe(true);
    if (parsed.ok && 'rules' in parsed.document) {
      expect(parsed.document.rules.map((rule) => [rule.id, rule.action])).toEqual([
        ['employee-ids', 'redact'],
        ['weapons', 'block'],
        ['cards', 'block'],
      ]);
    }
  });

  it('reads the JSON format written in YAML', () => {
    const parsed = parsePolicyYaml('deniedTopics:\n  - name: weapons\n    phrases: [bomb]\npiiAction: block\n');
    expect(parsed).toMatchObject({ ok: true, document: { piiAction: 'block', escalateTopics: [] } });
  });

  it('refuses a pattern RE2 cannot run, at its line and column, with the reason', () => {
    const source = valid.replace("pattern: 'EMP-[0-9]{6}'", "pattern: '(EMP)-\\1'");
    const [issue, ...rest] = issuesOf(source);
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ path: 'rules[0].pattern', line: 6, column: 14 });
    expect(issue?.message).toMatch(/backreferences cannot run in linear time/);
    expect(describePolicyIssues([issue as NonNullable<typeof issue>])).toMatch(
      /^line 6, column 14: rules\[0\]\.pattern: is not supported by the linear-time engine \(RE2\)/,
    );
  });

  it('refuses lookaround at upload', () => {
    const [issue] = issuesOf(valid.replace("pattern: 'EMP-[0-9]{6}'", "pattern: 'EMP-(?=[0-9])'"));
    expect(issue).toMatchObject({ path: 'rules[0].pattern', line: 6 });
    expect(issue?.message).toMatch(/lookahead and lookbehind/);
  });

  it('points at an unknown field, a wrong value and a missing field', () => {
    const source = valid
      .replace('    action: redact', '    acton: redact')
      .replace('action: block\n  - id: cards', 'action: shred\n  - id: cards');
    const issues = issuesOf(source);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'rules[0].acton', message: 'is not a known field', line: 9, column: 5 }),
        expect.objectContaining({ path: 'rules[0].action', line: 4 }),
        expect.objectContaining({ path: 'rules[1].action', line: 15, column: 13 }),
      ]),
    );
  });

  it('reports a YAML syntax error and a duplicate key with their line', () => {
    expect(issuesOf('rules:\n  - id: a\n    detector: [pii\n')[0]).toMatchObject({ line: 4 });
    expect(issuesOf('rules: []\nrules: []\n')[0]).toMatchObject({ line: 2, column: 1 });
    expect(issuesOf('rules:\n  - id: a\n    action: block\n    action: allow\n    detector: pii\n')[0]).toMatchObject({
      line: 4,
    });
  });

  it('refuses duplicate rule ids and detector fields on the wrong kind of rule', () => {
    const issues = issuesOf(
      'rules:\n  - { id: a, detector: pii, action: redact }\n  - { id: a, detector: pii, pattern: x, action: block }\n',
    );
    expect(issues.map((issue) => [issue.path, issue.message, issue.line])).toEqual(
      expect.arrayContaining([
        ['rules[1].id', 'duplicates the id of rules[0]', 3],
        ['rules[1].pattern', 'is only for detector: pattern', 3],
      ]),
    );
  });

  it('names the detectors it knows when one is not', () => {
    const [issue] = issuesOf('rules:\n  - { id: a, detector: pii.passport, action: redact }\n');
    expect(issue).toMatchObject({ path: 'rules[0].detector', line: 2 });
    expect(issue?.message).toMatch(/family \(pii, secret, injection\)/);
  });

  it('bounds aliases so a small file cannot expand into a huge one', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 10; level++) {
      lines.push(
        `${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + level)}`)
          .join(', ')}]`,
      );
    }
    lines.push('rules: []');
    expect(issuesOf(lines.join('\n'))[0]?.message).toMatch(/alias/i);
  });

  it('refuses a source over the limit without reading it', () => {
    expect(issuesOf(`# ${'x'.repeat(262_144)}\nrules: []\n`)[0]?.message).toMatch(/longer than 262144/);
  });
});
