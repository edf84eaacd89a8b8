import { describe, expect, it } from 'vitest';
import type { Finding } from '../detection/finding.js';
import { reportedFindings } from './reported-findings.js';

const finding = (type: Finding['type'], start: number): Finding => ({
  type,
  start,
  end: start + 1,
  ruleId: type,
  confidence: 1,
});

describe('reportedFindings', () => {
  it('lists every finding up to the cap', () => {
    const findings = [finding('pii.email', 0), finding('pii.phone', 5)];
    expect(reportedFindings(findings, 2)).toEqual(findings);
  });

  it('past the cap, lists the first ones and the first of each type found only later', () => {
    const findings = [
      finding('pii.email', 0),
      finding('pii.email', 2),
      finding('pii.email', 4),
      finding('pii.phone', 6),
      finding('pii.email', 8),
      finding('pii.phone', 10),
      finding('topic.denied', 12),
    ];
    expect(reportedFindings(findings, 2).map((f) => [f.type, f.start])).toEqual([
      ['pii.email', 0],
      ['pii.email', 2],
      ['pii.phone', 6],
      ['topic.denied', 12],
    ]);
  });
});
