/**
 * Prompt-injection heuristics measured on public test sets (never used to write them): recall on
 * CyberSecEval's 251 attacks (`user_input`), false-positive rate on NotInject's 339 benign prompts
 * full of trigger words. The floors sit a little under what was measured
 * (bench/results/policy-quality.json): recall 0.100, false-positive rate 0.021. Heuristics catch the
 * phrasing of classic attacks, not persuasion, hypotheticals or payload splitting; the issue's
 * target (recall 0.9 at a false-positive rate of at most 0.05) needs the trained classifier, a
 * separate part of the work.
 */
import { describe, expect, it } from 'vitest';
import { available, cyberSecEvalPath, measureInjection } from '../quality/datasets.js';
import { detectInjection } from './injection-detector.js';

if (!available.injection) process.stderr.write(`[keel] skipping injection quality: ${cyberSecEvalPath} not found\n`);

describe.skipIf(!available.injection)(
  `prompt-injection quality${available.injection ? '' : ' [skipped: datasets not found]'}`,
  () => {
    it('keeps its recall and false-positive rate', () => {
      const scores = measureInjection(detectInjection);
      process.stdout.write(
        `[keel] injection heuristics: recall ${scores.recall.toFixed(3)} (${scores.detected}/${scores.attacks}), ` +
          `false-positive rate ${scores.falsePositiveRate.toFixed(3)} (${scores.falsePositives}/${scores.benign})\n`,
      );
      expect(scores.recall).toBeGreaterThanOrEqual(0.08);
      expect(scores.falsePositiveRate).toBeLessThanOrEqual(0.035);
    });
  },
);
