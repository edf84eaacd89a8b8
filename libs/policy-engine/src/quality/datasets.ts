/**
 * The public test sets detector quality is measured on, read in place from the shared datasets
 * folder (`KEEL_DATASETS_DIR`, default `../shared/datasets` beside the repository), and the
 * measurements themselves, shared by the quality tests (which fail under a floor) and
 * bench/policy-quality.ts (which reports the figures). Test sets only: nothing here is used to
 * write or tune a detector.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Finding, PiiFindingType } from '../detection/finding.js';
import type { PiiScanner } from '../detection/pii-scanner.js';

export const datasetsDir =
  process.env.KEEL_DATASETS_DIR ?? fileURLToPath(new URL('../../../../../shared/datasets', import.meta.url));

export const presidioPath = `${datasetsDir}/presidio-synth/synth_dataset_v2.json`;
export const cyberSecEvalPath = `${datasetsDir}/cyberseceval-prompt-injection/prompt_injection.json`;
export const notInjectPaths = ['one', 'two', 'three'].map((part) => `${datasetsDir}/notinject/NotInject_${part}.json`);

export const available = {
  presidio: existsSync(presidioPath),
  injection: existsSync(cyberSecEvalPath) && notInjectPaths.every((path) => existsSync(path)),
};

export interface PresidioSample {
  full_text: string;
  spans: { entity_type: string; start_position: number; end_position: number }[];
}

/** Presidio's entity types for the PII types it labels (it has no dates of birth: DATE_TIME is any date). */
export type MeasuredPiiType = Extract<
  PiiFindingType,
  'pii.email' | 'pii.phone' | 'pii.payment_card' | 'pii.iban' | 'pii.us_ssn' | 'pii.ip_address' | 'pii.person'
>;

export const presidioLabelOf: Record<MeasuredPiiType, string> = {
  'pii.email': 'EMAIL_ADDRESS',
  'pii.phone': 'PHONE_NUMBER',
  'pii.payment_card': 'CREDIT_CARD',
  'pii.iban': 'IBAN_CODE',
  'pii.us_ssn': 'US_SSN',
  'pii.ip_address': 'IP_ADDRESS',
  'pii.person': 'PERSON',
};

export interface Score {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
}

export function loadPresidio(): PresidioSample[] {
  return JSON.parse(readFileSync(presidioPath, 'utf8')) as PresidioSample[];
}

/** Precision and recall per type: a finding counts when it overlaps a labelled span of its kind. */
export function measurePii(samples: readonly PresidioSample[], scan: PiiScanner): Record<MeasuredPiiType, Score> {
  const types = Object.keys(presidioLabelOf) as MeasuredPiiType[];
  const counts = Object.fromEntries(
    types.map((type) => [type, { truePositives: 0, falsePositives: 0, falseNegatives: 0 }]),
  ) as Record<MeasuredPiiType, Omit<Score, 'precision' | 'recall'>>;
  const overlaps = (f: Finding, g: PresidioSample['spans'][number]) =>
    f.start < g.end_position && g.start_position < f.end;
  for (const sample of samples) {
    const findings = scan(sample.full_text);
    for (const type of types) {
      const gold = sample.spans.filter((span) => span.entity_type === presidioLabelOf[type]);
      const found = findings.filter((finding) => finding.type === type);
      for (const finding of found) {
        if (gold.some((span) => overlaps(finding, span))) counts[type].truePositives++;
        else counts[type].falsePositives++;
      }
      for (const span of gold) if (!found.some((finding) => overlaps(finding, span))) counts[type].falseNegatives++;
    }
  }
  return Object.fromEntries(
    types.map((type) => {
      const c = counts[type];
      return [
        type,
        {
          ...c,
          precision: c.truePositives / Math.max(1, c.truePositives + c.falsePositives),
          recall: c.truePositives / Math.max(1, c.truePositives + c.falseNegatives),
        },
      ];
    }),
  ) as Record<MeasuredPiiType, Score>;
}

export interface InjectionCase {
  userInput: string;
  variant: string;
  type: string;
}

export function loadInjectionSets(): { attacks: InjectionCase[]; benign: string[] } {
  const raw = JSON.parse(readFileSync(cyberSecEvalPath, 'utf8')) as {
    user_input: string;
    injection_variant: string;
    injection_type: string;
  }[];
  const attacks = raw.map((item) => ({
    userInput: item.user_input,
    variant: item.injection_variant,
    type: item.injection_type,
  }));
  const benign = notInjectPaths.flatMap((path) =>
    (JSON.parse(readFileSync(path, 'utf8')) as { prompt: string }[]).map((item) => item.prompt),
  );
  return { attacks, benign };
}

export interface InjectionScores {
  attacks: number;
  detected: number;
  recall: number;
  benign: number;
  falsePositives: number;
  falsePositiveRate: number;
  recallByVariant: Record<string, { total: number; detected: number; recall: number }>;
}

/**
 * Recall on CyberSecEval's attacks (their `user_input`, which holds the injection for both direct
 * and indirect cases) and the false-positive rate on NotInject's benign prompts.
 */
export function measureInjection(detect: (text: string) => readonly Finding[]): InjectionScores {
  const { attacks, benign } = loadInjectionSets();
  const recallByVariant: InjectionScores['recallByVariant'] = {};
  let detected = 0;
  for (const attack of attacks) {
    const hit = detect(attack.userInput).length > 0;
    if (hit) detected++;
    const variant = recallByVariant[attack.variant] ?? { total: 0, detected: 0, recall: 0 };
    recallByVariant[attack.variant] = variant;
    variant.total++;
    if (hit) variant.detected++;
  }
  for (const variant of Object.values(recallByVariant)) variant.recall = variant.detected / variant.total;
  const falsePositives = benign.filter((prompt) => detect(prompt).length > 0).length;
  return {
    attacks: attacks.length,
    detected,
    recall: detected / attacks.length,
    benign: benign.length,
    falsePositives,
    falsePositiveRate: falsePositives / benign.length,
    recallByVariant,
  };
}
