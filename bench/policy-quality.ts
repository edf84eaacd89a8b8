/**
 * Policy (@keel/policy-engine, apps/policy): detector quality on public test sets and Check latency.
 *
 *  - PII precision and recall per type on Presidio's synthetic sentences (presidio-synth) for
 *    e-mail, phone, card, IBAN, SSN, IP address and person names (PERSON), with the default
 *    phone region (US) and with ten regions; a finding counts when it overlaps a labelled span of
 *    its kind. The person detector's own latency on the 2 KB texts is reported beside them.
 *  - Prompt injection: recall on CyberSecEval's attacks (`user_input`), per variant, and the
 *    false-positive rate on NotInject's benign prompts, for the heuristics alone, the trained
 *    classifier alone and both together (what the policy service runs). These are test sets: the
 *    heuristics were written from their own examples, the classifier trained and its threshold
 *    chosen on other public data (tools/injection-classifier/), and both are measured here.
 *  - Check latency for 2 KB and 20 KB input texts (prose with personal data, a secret, non-ASCII
 *    words and fullwidth digits; the demo tenant's topics): the evaluation alone (normalisation,
 *    every detector, injection, topics, decision, redaction: what a gateway could run in process),
 *    and the policy checker's `check` with the policy lookup and the audit on the embedded store and
 *    bus (what the gRPC Check does, minus the network). One core, one call at a time.
 *
 * The same-run baseline of the latency rows is whole-text NFKC + lowercase on the same texts (a
 * lower bound: no offsets kept, nothing detected), to show what normalising with offsets and
 * detecting cost on top.
 */
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { EventPublisher } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { createPolicyChecker } from '../apps/policy/src/checking/policy-checker.js';
import { createDecisionAudit } from '../apps/policy/src/decisions/decision-audit.js';
import { createPolicyRepository } from '../apps/policy/src/policies/policy-repository.js';
import { demoPolicy } from '../apps/policy/src/policies/policy-seeds.js';
import { FindingType } from '../libs/policy-engine/src/detection/finding.js';
import { detectPersons } from '../libs/policy-engine/src/detection/person-detector.js';
import { createPiiScanner } from '../libs/policy-engine/src/detection/pii-scanner.js';
import { createPolicyEngine } from '../libs/policy-engine/src/evaluation/policy-engine.js';
import { shippedInjectionClassifier } from '../libs/policy-engine/src/injection/injection-classifier.js';
import {
  classifierRuleId,
  detectInjection,
  detectInjectionHeuristics,
} from '../libs/policy-engine/src/injection/injection-detector.js';
import type { PolicyDocument } from '../libs/policy-engine/src/policy/policy-document.js';
import { describePolicyIssues, parsePolicyYaml } from '../libs/policy-engine/src/policy/policy-yaml.js';
import {
  available,
  loadPresidio,
  type MeasuredPiiType,
  measureInjection,
  measurePii,
  presidioLabelOf,
  type Score,
} from '../libs/policy-engine/src/quality/datasets.js';
import {
  type Benchmark,
  type BenchmarkReport,
  integerSetting,
  percentile,
  pick,
  type Row,
  seededRandom,
  skippedRow,
  timeEach,
} from './harness.js';

const settings = {
  sizes: [2_048, 20_480],
  checks: integerSetting('BENCH_POLICY_CHECKS', 2_000),
  warmup: 200,
  seed: 6,
  tenRegions: ['US', 'GB', 'FR', 'DE', 'AU', 'CH', 'SE', 'IT', 'NL', 'BE'],
};

const targets = {
  piiRecall: 0.9,
  personRecall: 0.7,
  injectionRecall: 0.9,
  injectionFpr: 0.05,
  p99Ms2k: 2,
};

const sentences = [
  'Maria Lindqvist from the Oslo office asked Dr. Okafor to call her back about the refund.',
  'The warranty on batteries covers two years from the date of purchase.',
  'Refunds are processed within fourteen days once the item is back in our warehouse.',
  'Please contact ann.smith@example.com if the parcel has not arrived.',
  'You can reach the support desk on 415-555-2671 between 9am and 5pm.',
  'The card ending 4111 1111 1111 1111 was charged twice for order 88231.',
  'Our office in Zürich opens at 8:30 and the café downstairs serves crème brûlée.',
  'Wire the deposit to GB82 WEST 1234 5698 7654 32 before Friday.',
  'The server at 192.168.14.7 restarted after the update.',
  'Invoice numbers are printed in the top right corner of every page.',
  'Delivery to remote islands can take up to ten working days.',
  'Die Rechnung wurde am Montag verschickt, bitte prüfen Sie Ihr Postfach.',
  'Order ４２ was split into two parcels.',
  'Set AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in the build only.',
  'Customers who changed their address should update it before the next shipment.',
];

function textOfSize(size: number, seed: number): string {
  const random = seededRandom(seed);
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const sentence = pick(random, sentences);
    parts.push(sentence);
    length += sentence.length + 1;
  }
  return parts.join(' ').slice(0, size);
}

/** The least any matcher must do: NFKC and lowercase over the whole text, without offsets. */
function oldNormalisation(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

async function piiTables(rows: Row[], notes: string[]): Promise<void> {
  if (!available.presidio) {
    rows.push(skippedRow('presidio-synth', 'dataset not found (KEEL_DATASETS_DIR)'));
    return;
  }
  const samples = loadPresidio();
  for (const [label, regions] of [
    ['US', ['US']],
    ['10 regions', settings.tenRegions],
  ] as const) {
    const scan = createPiiScanner({ phoneRegions: regions });
    const scores = measurePii(samples, scan);
    const typed: [string, Score, number][] = (Object.keys(presidioLabelOf) as MeasuredPiiType[]).map((type) => [
      type,
      scores[type],
      type === FindingType.person ? targets.personRecall : targets.piiRecall,
    ]);
    for (const [type, score, target] of typed) {
      rows.push({
        type,
        'phone regions': label,
        labelled: score.truePositives + score.falseNegatives,
        precision: score.precision,
        recall: score.recall,
        'target recall': target,
        met: score.recall >= target ? 'yes' : 'no',
      });
    }
  }
  notes.push(
    'PII: presidio-synth has no date-of-birth label (DATE_TIME is any date), so pii.date_of_birth is not scored.',
    'PII: pii.person is scored against PERSON spans; its own cost on the 2 KB texts is the "detectPersons" latency row.',
  );
}

function injectionTables(rows: Row[], variantRows: Row[]): void {
  if (!available.injection) {
    rows.push(skippedRow('cyberseceval / notinject', 'datasets not found (KEEL_DATASETS_DIR)'));
    return;
  }
  const classifier = shippedInjectionClassifier();
  const classifierRule = classifierRuleId(classifier.version);
  const detectors: [string, (text: string) => ReturnType<typeof detectInjection>][] = [
    ['heuristics (injection-detector.ts)', (text) => detectInjectionHeuristics(text)],
    [
      `classifier ${classifier.version} alone (threshold ${classifier.threshold})`,
      (text) => detectInjection(text).filter((finding) => finding.ruleId === classifierRule),
    ],
    [`heuristics + classifier ${classifier.version} (shipped)`, (text) => detectInjection(text)],
  ];
  for (const [detector, detect] of detectors) {
    const scores = measureInjection(detect);
    rows.push({
      detector,
      attacks: scores.attacks,
      recall: scores.recall,
      'target recall': targets.injectionRecall,
      benign: scores.benign,
      'false-positive rate': scores.falsePositiveRate,
      'target FPR': targets.injectionFpr,
      met: scores.recall >= targets.injectionRecall && scores.falsePositiveRate <= targets.injectionFpr ? 'yes' : 'no',
    });
    if (detector.endsWith('(shipped)')) {
      for (const [variant, score] of Object.entries(scores.recallByVariant).sort((a, b) => b[1].recall - a[1].recall)) {
        variantRows.push({ variant, attacks: score.total, detected: score.detected, recall: score.recall });
      }
    }
  }
}

const isCheck = (subject: string) => !subject.startsWith('baseline') && !subject.startsWith('detectPersons');

/**
 * The demo policy written as YAML rules, plus a tenant pattern run on RE2: what a tenant that
 * moved to policy as code runs (the same detectors, one more pass for the pattern).
 */
function rulesPolicyOf(): PolicyDocument {
  const yaml = [
    'rules:',
    '  - { id: order-numbers, detector: pattern, pattern: "order [0-9]{5}", caseInsensitive: true, type: pii.order_number, action: redact }',
    ...demoPolicy.deniedTopics.map(
      (topic) =>
        `  - { id: ${topic.name}, detector: topic, topic: ${topic.name}, phrases: ${JSON.stringify(topic.phrases)}, action: block }`,
    ),
    ...demoPolicy.escalateTopics.map(
      (topic) =>
        `  - { id: ${topic.name}, detector: topic, topic: ${topic.name}, phrases: ${JSON.stringify(topic.phrases)}, stages: [input, output], action: escalate }`,
    ),
    '  - { id: injection, detector: injection, stages: [input], condition: { in: text }, action: block }',
    '  - { id: injection-in-contexts, detector: injection, condition: { in: contexts }, action: block }',
    '  - { id: pii, detector: pii, action: redact }',
    '  - { id: secrets, detector: secret, action: redact }',
  ].join('\n');
  const parsed = parsePolicyYaml(yaml);
  if (!parsed.ok) throw new Error(describePolicyIssues(parsed.issues));
  return parsed.document;
}

async function latencyTables(rows: Row[]): Promise<void> {
  const engine = createPolicyEngine({ phoneRegions: ['US'] });
  const policy = engine.compile(demoPolicy, { tenantId: 'demo', policyVersion: 'demo@v1' });
  const rulesPolicy = engine.compile(rulesPolicyOf(), { tenantId: 'demo', policyVersion: 'demo@v2' });
  const store = createEmbeddedDocumentStore({ path: ':memory:' });
  const bus = createEmbeddedEventBus();
  try {
    const policies = await createPolicyRepository(store, Date.now);
    await policies.save('demo', demoPolicy);
    const checker = createPolicyChecker({
      policies,
      engine,
      audit: await createDecisionAudit(store, new EventPublisher(bus)),
    });
    for (const size of settings.sizes) {
      const texts = Array.from({ length: 50 }, (_, index) => textOfSize(size, settings.seed + index));
      const at = (index: number) => texts[((index % texts.length) + texts.length) % texts.length] as string;
      const subjects: [string, (index: number) => unknown][] = [
        ['baseline: whole-text NFKC + lowercase', (index) => oldNormalisation(at(index))],
        ['detectPersons alone (part of evaluate)', (index) => detectPersons(at(index))],
        ['compiledPolicy.check (in process)', (index) => policy.check({ stage: 'input', text: at(index) })],
        [
          'compiledPolicy.check, YAML rules + an RE2 pattern',
          (index) => rulesPolicy.check({ stage: 'input', text: at(index) }),
        ],
        [
          'checker.check (+ policy lookup and audit, embedded)',
          (index) =>
            checker.check({
              tenantId: 'demo',
              stage: 'input',
              text: at(index),
              contexts: [],
              requestId: `bench-${index}`,
              readRequires: [],
            }),
        ],
      ];
      for (const [subject, operation] of subjects) {
        const { stats, samples } = await timeEach(settings.checks, settings.warmup, operation);
        const sorted = [...samples].sort((a, b) => a - b);
        const p99 = percentile(sorted, 0.99);
        rows.push({
          subject,
          'text size': `${size / 1024} KB`,
          n: stats.count,
          'p50 ms': stats.p50Ms,
          'p99 ms': p99,
          'max ms': stats.maxMs,
          'target p99 ms': size === 2_048 && isCheck(subject) ? targets.p99Ms2k : undefined,
          met: size === 2_048 && isCheck(subject) ? (p99 <= targets.p99Ms2k ? 'yes' : 'no') : undefined,
        });
      }
    }
  } finally {
    await bus.close();
    await store.close();
  }
}

export const policyQualityBenchmark: Benchmark = {
  name: 'policy-quality',
  description: 'policy detectors on presidio-synth, CyberSecEval and NotInject; Check latency for 2 KB and 20 KB',
  async run(): Promise<BenchmarkReport> {
    const piiRows: Row[] = [];
    const injectionRows: Row[] = [];
    const variantRows: Row[] = [];
    const latencyRows: Row[] = [];
    const notes: string[] = [];
    await piiTables(piiRows, notes);
    injectionTables(injectionRows, variantRows);
    await latencyTables(latencyRows);
    notes.push(
      'Injection: the classifier was trained and its threshold chosen on public data that is not these test sets (tools/injection-classifier/README.md); recall per variant is for heuristics + classifier.',
      'Latency: one call at a time on one core; checker.check includes the SQLite policy lookup and the audit (SQLite insert, embedded bus publish), not gRPC.',
    );
    return {
      config: {
        checks: settings.checks,
        warmup: settings.warmup,
        sizes: settings.sizes.join(','),
        seed: settings.seed,
      },
      tables: [
        { title: 'PII precision / recall per type on presidio-synth (1,500 sentences)', rows: piiRows },
        {
          title: 'Prompt injection: recall on CyberSecEval (251), false-positive rate on NotInject (339)',
          rows: injectionRows,
        },
        { title: 'Prompt injection recall per CyberSecEval variant (heuristics + classifier)', rows: variantRows },
        { title: 'Check latency, input stage, demo policy', rows: latencyRows },
      ],
      notes,
    };
  },
};
