/**
 * The engine (heuristics, classifier, both) on train.py's held-out validation rows: the figures
 * the decision to run the classifier by default is taken on, never the test sets.
 *
 *   npx tsx tools/injection-classifier/measure-validation.ts /tmp/keel-injection-sources/validation.jsonl
 */
import { readFileSync } from 'node:fs';
import { shippedInjectionClassifier } from '../../libs/policy-engine/src/injection/injection-classifier.js';
import {
  detectInjection,
  detectInjectionHeuristics,
} from '../../libs/policy-engine/src/injection/injection-detector.js';
import { toMatchingText } from '../../libs/policy-engine/src/normalisation/matching-text.js';

interface Row {
  text: string;
  label: number;
  request: boolean;
}

const path = process.argv[2];
if (!path) throw new Error('usage: measure-validation.ts <validation.jsonl>');
const rows = readFileSync(path, 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line) as Row);
const detectors: [string, (text: string) => boolean][] = [
  ['heuristics', (text) => detectInjectionHeuristics(text).length > 0],
  // detectInjection leaves texts the heuristics caught to them, so the classifier is scored alone.
  ['classifier', classifierAlone],
  ['heuristics + classifier', (text) => detectInjection(text).length > 0],
];

function classifierAlone(text: string): boolean {
  const classifier = shippedInjectionClassifier();
  return classifier.score(toMatchingText(text)).probability >= classifier.threshold;
}

const rate = (hits: number, total: number) => `${(hits / total).toFixed(3)} (${hits}/${total})`;
for (const [name, flags] of detectors) {
  const attacks = rows.filter((row) => row.label === 1);
  const benign = rows.filter((row) => row.label === 0);
  const requests = benign.filter((row) => row.request);
  const flagged = (list: Row[]) => list.filter((row) => flags(row.text)).length;
  process.stdout.write(
    `${name}: recall ${rate(flagged(attacks), attacks.length)}, false-positive rate ${rate(flagged(benign), benign.length)}, on benign requests ${rate(flagged(requests), requests.length)}\n`,
  );
}
