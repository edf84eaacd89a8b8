/**
 * Groundedness scoring (apps/evaluation/src/scoring): time against input size, with the search
 * that compared every claim with every window of every chunk as the same-run baseline; the
 * event-loop delay while the largest allowed input is scored on the event loop and through the
 * worker pool; and inputs built to defeat the index, which the work budget bounds.
 *
 * The baseline is the old search kept as the definition (support.ts `supportOf` over
 * `prepareChunk`, best first chunk wins), fed the same claims: it finds the same verdicts, which
 * the run checks. The old claim extraction is not in it: on these inputs it cost little, and its
 * quadratic parts only showed on degenerate text (whitespace runs, one endless sentence).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { extractClaims } from '../apps/evaluation/src/scoring/claims.js';
import { type AnswerScores, type ScoringInput, scoreAnswer } from '../apps/evaluation/src/scoring/score-answer.js';
import { SCORING_LIMITS } from '../apps/evaluation/src/scoring/scoring-limits.js';
import { createScoringPool } from '../apps/evaluation/src/scoring/scoring-pool.js';
import { prepareChunk, supportOf } from '../apps/evaluation/src/scoring/support.js';
import { syntheticScoringInput } from '../apps/evaluation/src/scoring/testing/synthetic-input.js';
import { type Benchmark, type BenchmarkReport, integerSetting, type Row, timeEach } from './harness.js';

const settings = {
  /** Total characters of answer and contexts per measured input. */
  sizes: [1_000, 10_000, 50_000, 100_000, 200_000, 400_000, 650_000, 1_000_000],
  /** The baseline is quadratic: sizes above this are not run through it. */
  baselineMaxChars: integerSetting('BENCH_SCORING_BASELINE_MAX_CHARS', 650_000),
  repeats: integerSetting('BENCH_SCORING_REPEATS', 5),
  seed: 1,
};

/** The shape of a long RAG answer: a third of the input, up to the answer limit. */
function inputOfSize(total: number): ScoringInput {
  const answerChars = Math.min(SCORING_LIMITS.answerChars, Math.round(total / 3));
  return syntheticScoringInput({ answerChars, contextChars: total - answerChars, seed: settings.seed });
}

/** Every claim against every window of every chunk, as score-answer.ts searched before. */
function baselineVerdicts(input: ScoringInput): { chunkId: string; support: number }[] {
  const chunks = input.contexts.map((context) => prepareChunk(context.chunkId, context.text));
  return extractClaims(input.answer).claims.map((claim) => {
    let best = { chunkId: '', support: 0 };
    for (const chunk of chunks) {
      const support = supportOf(claim.terms, chunk);
      if (support > best.support) best = { chunkId: chunk.chunkId, support };
    }
    return { chunkId: best.chunkId, support: Math.round(best.support * 10_000) / 10_000 };
  });
}

function sameVerdicts(scores: AnswerScores, baseline: { chunkId: string; support: number }[]): boolean {
  return (
    scores.verdicts.length === baseline.length &&
    scores.verdicts.every(
      (verdict, index) =>
        verdict.supportingChunkId === baseline[index]?.chunkId && verdict.support === baseline[index]?.support,
    )
  );
}

function characters(input: ScoringInput): number {
  return input.answer.length + input.contexts.reduce((total, context) => total + context.text.length, 0);
}

async function sizeTable(notes: string[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const size of settings.sizes) {
    const input = inputOfSize(size);
    let scores: AnswerScores | undefined;
    const { stats } = await timeEach(settings.repeats, 1, () => {
      scores = scoreAnswer(input);
    });
    let baselineMs: number | undefined;
    if (size <= settings.baselineMaxChars) {
      const started = performance.now();
      const baseline = baselineVerdicts(input);
      baselineMs = performance.now() - started;
      if (scores && !sameVerdicts(scores, baseline)) notes.push(`${size} chars: the verdicts differ from the baseline`);
    }
    rows.push({
      subject: 'indexed (this change)',
      input: `${Math.round(characters(input) / 1000)} k chars`,
      'answer chars': input.answer.length,
      contexts: input.contexts.length,
      claims: scores?.verdicts.length,
      'p50 ms': stats.p50Ms,
      'max ms': stats.maxMs,
      'baseline ms': baselineMs,
      'baseline / indexed': baselineMs === undefined ? undefined : baselineMs / stats.p50Ms,
    });
  }
  return rows;
}

/** Event-loop delay while `work` runs, sampled every 10 ms (what a concurrent request would wait). */
async function eventLoopDelay(work: () => Promise<unknown>): Promise<{ wallMs: number; maxMs: number; p99Ms: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const started = performance.now();
  await work();
  // One more turn, so that a stall at the very end is sampled too.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const wallMs = performance.now() - started - 20;
  histogram.disable();
  return { wallMs, maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6 };
}

async function delayTable(): Promise<Row[]> {
  const largest = syntheticScoringInput({
    answerChars: SCORING_LIMITS.answerChars,
    contextChars: SCORING_LIMITS.totalChars - SCORING_LIMITS.answerChars,
    seed: settings.seed,
  });
  const rows: Row[] = [];
  const onLoop = await eventLoopDelay(async () => {
    // Yield first, so the histogram is armed before the loop blocks.
    await new Promise((resolve) => setTimeout(resolve, 20));
    scoreAnswer(largest);
  });
  rows.push({
    subject: 'scoreAnswer on the event loop',
    'wall ms': onLoop.wallMs,
    'max delay ms': onLoop.maxMs,
    'p99 delay ms': onLoop.p99Ms,
  });
  const pool = createScoringPool({ threads: 1 });
  try {
    await pool.score({ answer: 'Warm-up.', contexts: [] });
    for (let round = 0; round < 3; round++) {
      const offLoop = await eventLoopDelay(() => pool.score(largest));
      rows.push({
        subject: `scoring pool (1 thread), run ${round + 1}`,
        'wall ms': offLoop.wallMs,
        'max delay ms': offLoop.maxMs,
        'p99 delay ms': offLoop.p99Ms,
      });
    }
  } finally {
    await pool.close();
  }
  return rows;
}

/** Inputs within the limits built against the index: what the work budget is for. */
function adversarialTable(): Row[] {
  const fill = (unit: (index: number) => string, limit: number) => {
    let text = '';
    for (let index = 0; text.length < limit; index++) text += unit(index);
    return text.slice(0, limit);
  };
  const contexts = (unit: (index: number, chunk: number) => string) =>
    Array.from({ length: 59 }, (_, chunk) => ({
      chunkId: `c${chunk}`,
      text: fill((index) => unit(index, chunk), SCORING_LIMITS.contextChars),
    }));
  const answer = SCORING_LIMITS.answerChars;
  const cases: [string, ScoringInput][] = [
    [
      'one run-on sentence each (answer and contexts)',
      { answer: fill((i) => `word${i % 700} `, answer), contexts: contexts((i, c) => `word${(i * 7 + c) % 900} `) },
    ],
    [
      'every claim shares a term with every sentence',
      { answer: fill((i) => `Robot a${i}. `, answer), contexts: contexts((i) => `Robot b${i}. `) },
    ],
    [
      'same, terms in reverse order (no bound prunes)',
      { answer: fill((i) => `Dock robot x${i}. `, answer), contexts: contexts((i) => `Robot dock y${i}. `) },
    ],
    [
      'whitespace runs and blank lines',
      { answer: `${' '.repeat(answer - 2)}x.`, contexts: contexts((i, c) => (c % 2 ? '\n' : i % 500 ? ' ' : 'a. ')) },
    ],
  ];
  return cases.map(([name, input]) => {
    const started = performance.now();
    const scores = scoreAnswer(input);
    return {
      subject: name,
      'chars in all': characters(input),
      claims: scores.verdicts.length,
      ms: performance.now() - started,
      truncated: scores.truncated.join('; ') || 'no',
    };
  });
}

export const scoringBenchmark: Benchmark = {
  name: 'scoring',
  description:
    'groundedness scoring: time vs input size against the every-claim-every-window baseline, event-loop delay',
  async run(): Promise<BenchmarkReport> {
    const notes: string[] = [];
    const sizes = await sizeTable(notes);
    const delay = await delayTable();
    const adversarial = adversarialTable();
    if (!notes.some((note) => note.includes('differ')))
      notes.push('the indexed verdicts equal the baseline at every size it ran');
    return {
      config: {
        sizes: settings.sizes.join(','),
        baselineMaxChars: settings.baselineMaxChars,
        repeats: settings.repeats,
        seed: settings.seed,
      },
      tables: [
        { title: 'Scoring time vs input size (answer: a third of the input, at most 32,768 characters)', rows: sizes },
        { title: 'Event-loop delay while the largest allowed input is scored', rows: delay },
        { title: 'Inputs built against the index (within the limits)', rows: adversarial },
      ],
      notes,
    };
  },
};
