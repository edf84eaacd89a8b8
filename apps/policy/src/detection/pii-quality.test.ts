/**
 * Detector quality on Presidio's synthetic PII sentences (microsoft/presidio-research,
 * 1,500 sentences with labelled spans; read in place from the shared datasets folder).
 * A finding counts as correct when it overlaps a labelled span of the same kind; the floors
 * sit a little under what this implementation measured (bench/results/policy-quality.json), so a
 * regression fails the test.
 *
 * Phone recall is bounded by the data: its numbers are generated per locale (French, Swiss,
 * Australian, British...) and many are not valid numbering-plan numbers at all, while the
 * detector confirms national formats only for the configured regions (US by default).
 * Card recall is bounded too: the misses are 12-digit Maestro numbers (cards have 13-19 digits)
 * and generated "JCB" numbers outside JCB's issued 3528-3589 range.
 */
import { describe, expect, it } from 'vitest';
import {
  available,
  loadPresidio,
  type MeasuredPiiType,
  measurePii,
  presidioPath,
  type Score,
} from '../quality/datasets.js';
import { createPiiScanner } from './pii-scanner.js';

if (!available.presidio) process.stderr.write(`[keel] skipping PII quality: ${presidioPath} not found\n`);

function report(name: string, scores: Record<MeasuredPiiType, Score>): void {
  const lines = Object.entries(scores).map(
    ([type, s]) =>
      `  ${type.padEnd(18)} precision ${s.precision.toFixed(3)} recall ${s.recall.toFixed(3)} ` +
      `(tp ${s.truePositives}, fp ${s.falsePositives}, fn ${s.falseNegatives})`,
  );
  process.stdout.write(`[keel] PII detection on presidio-synth, ${name}:\n${lines.join('\n')}\n`);
}

describe.skipIf(!available.presidio)(
  `PII detection quality on presidio-synth${available.presidio ? '' : ' [skipped: dataset not found]'}`,
  () => {
    const samples = available.presidio ? loadPresidio() : [];

    it('meets its floors with the default phone region (US)', () => {
      const scores = measurePii(samples, createPiiScanner({ phoneRegions: ['US'] }));
      report('phone regions US', scores);
      // Measured: 1.000 / 1.000 for e-mail, IBAN, SSN and IP; card 1.000 / 0.868; phone 1.000 / 0.283.
      const floors: Record<MeasuredPiiType, [number, number]> = {
        'pii.email': [0.98, 0.98],
        'pii.payment_card': [0.98, 0.85],
        'pii.phone': [0.95, 0.25],
        'pii.iban': [0.98, 0.95],
        'pii.us_ssn': [0.98, 0.95],
        'pii.ip_address': [0.98, 0.95],
      };
      for (const [type, [precision, recall]] of Object.entries(floors) as [MeasuredPiiType, [number, number]][]) {
        expect(scores[type].precision, `${type} precision`).toBeGreaterThanOrEqual(precision);
        expect(scores[type].recall, `${type} recall`).toBeGreaterThanOrEqual(recall);
      }
    });

    it('trades phone precision for recall as regions are added', () => {
      const scan = createPiiScanner({ phoneRegions: ['US', 'GB', 'FR', 'DE', 'AU', 'CH', 'SE', 'IT', 'NL', 'BE'] });
      const scores = measurePii(samples, scan);
      report('phone regions US,GB,FR,DE,AU,CH,SE,IT,NL,BE', scores);
      const us = measurePii(samples, createPiiScanner({ phoneRegions: ['US'] }));
      expect(scores['pii.phone'].recall).toBeGreaterThan(us['pii.phone'].recall + 0.3);
      expect(scores['pii.phone'].precision).toBeLessThan(us['pii.phone'].precision);
      expect(scores['pii.phone'].precision).toBeGreaterThanOrEqual(0.6);
    });
  },
);
