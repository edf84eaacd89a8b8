/**
 * Prompt-injection detection measured on public test sets (never used to write the heuristics,
 * train the classifier or choose its threshold): recall on CyberSecEval's 251 attacks
 * (`user_input`), false-positive rate on NotInject's 339 benign prompts full of trigger words.
 * The floors sit a little under what was measured (bench/results/policy-quality.json):
 *  - heuristics alone: recall 0.124, false-positive rate 0.021;
 *  - heuristics + classifier v2 (opt-in per tenant): recall 0.363, false-positive rate 0.080.
 * The target (recall 0.9 at a false-positive rate of at most 0.05) is not met: the
 * classifier is trained on what public data could be fetched here (tools/injection-classifier/
 * README.md), and persuasion, indirect references, token smuggling and other languages stay hard
 * for a linear model over n-grams.
 */
import { describe, expect, it } from 'vitest';
import { available, cyberSecEvalPath, measureInjection } from '../quality/datasets.js';
import { detectInjection, detectInjectionHeuristics } from './injection-detector.js';

if (!available.injection) process.stderr.write(`[keel] skipping injection quality: ${cyberSecEvalPath} not found\n`);

describe.skipIf(!available.injection)(
  `prompt-injection quality${available.injection ? '' : ' [skipped: datasets not found]'}`,
  () => {
    it.each([
      ['heuristics', (text: string) => detectInjectionHeuristics(text), 0.11, 0.035],
      ['heuristics + classifier', (text: string) => detectInjection(text), 0.34, 0.09],
    ] as const)('%s keep their recall and false-positive rate', (name, detect, minRecall, maxFpr) => {
      const scores = measureInjection(detect);
      process.stdout.write(
        `[keel] injection ${name}: recall ${scores.recall.toFixed(3)} (${scores.detected}/${scores.attacks}), ` +
          `false-positive rate ${scores.falsePositiveRate.toFixed(3)} (${scores.falsePositives}/${scores.benign})\n`,
      );
      expect(scores.recall).toBeGreaterThanOrEqual(minRecall);
      expect(scores.falsePositiveRate).toBeLessThanOrEqual(maxFpr);
    });
  },
);
