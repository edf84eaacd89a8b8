/**
 * Scores a JSONL file of `{ id?, question, answer, contexts: [{ chunkId, text }] }` records
 * offline and prints one line per record and a summary: the CI check for prompt and model
 * changes. Nothing is stored and no service is needed.
 *
 *   npx tsx apps/evaluation/src/cli/score-file.ts answers.jsonl [--threshold 0.7]
 *     [--claim-threshold 0.7] [--fail-under 0.8] [--json]
 *
 * Exit status: 0 scored; 1 the mean groundedness is below --fail-under; 2 bad usage or input
 * (a line that is not a valid record is reported with its number and fails the run). Records are
 * bounded like the HTTP route's (scoring-limits.ts): one over a limit is an invalid line naming
 * the field. Scoring runs inline: the CLI is a process of its own, with no event loop to share.
 */

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type AnswerScores, DEFAULT_CLAIM_THRESHOLD, EVALUATOR_VERSION, scoreAnswer } from '../scoring/score-answer.js';
import { scoringRequestSchema } from '../scoring/scoring-request.js';
import { invokedDirectly } from './invoked-directly.js';

export const DEFAULT_REVIEW_THRESHOLD = 0.7;

export interface ScoredLine {
  line: number;
  id: string;
  scores: AnswerScores;
  passed: boolean;
}

export interface LineError {
  line: number;
  message: string;
}

export interface ScoreFileSummary {
  records: number;
  invalid: number;
  passed: number;
  meanGroundedness: number;
  meanCitationCoverage: number;
  threshold: number;
  claimThreshold: number;
  evaluatorVersion: string;
}

export interface ScoreFileReport {
  results: ScoredLine[];
  errors: LineError[];
  summary: ScoreFileSummary;
}

function mean(values: number[]): number {
  if (values.length === 0) return 0;
  return Math.round((values.reduce((sum, value) => sum + value, 0) / values.length) * 10_000) / 10_000;
}

function describeIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(record)'}: ${issue.message}`).join('; ');
}

/** Scores every record of a JSONL text; blank lines are skipped, bad lines reported. */
export function scoreJsonl(text: string, options: { threshold: number; claimThreshold: number }): ScoreFileReport {
  const results: ScoredLine[] = [];
  const errors: LineError[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      errors.push({ line, message: `not JSON: ${error instanceof Error ? error.message : String(error)}` });
      return;
    }
    const parsed = scoringRequestSchema.safeParse(json);
    if (!parsed.success) {
      errors.push({ line, message: describeIssues(parsed.error) });
      return;
    }
    const scores = scoreAnswer(parsed.data, { claimThreshold: options.claimThreshold });
    results.push({
      line,
      id: parsed.data.id ?? `line ${line}`,
      scores,
      passed: scores.groundedness >= options.threshold,
    });
  });
  return {
    results,
    errors,
    summary: {
      records: results.length,
      invalid: errors.length,
      passed: results.filter((result) => result.passed).length,
      meanGroundedness: mean(results.map((result) => result.scores.groundedness)),
      meanCitationCoverage: mean(results.map((result) => result.scores.citationCoverage)),
      threshold: options.threshold,
      claimThreshold: options.claimThreshold,
      evaluatorVersion: EVALUATOR_VERSION,
    },
  };
}

export function formatReport(report: ScoreFileReport): string {
  const lines: string[] = [];
  for (const result of report.results) {
    const unsupported = result.scores.verdicts.filter((verdict) => !verdict.supported).length;
    lines.push(
      [
        result.passed ? 'PASS' : 'FAIL',
        result.id,
        `groundedness=${result.scores.groundedness.toFixed(2)}`,
        `citation_coverage=${result.scores.citationCoverage.toFixed(2)}`,
        `claims=${result.scores.verdicts.length}`,
        `unsupported=${unsupported}`,
      ].join('  '),
    );
  }
  for (const error of report.errors) lines.push(`INVALID  line ${error.line}  ${error.message}`);
  const { summary } = report;
  lines.push(
    '',
    `${summary.records} records scored, ${summary.passed} passed (groundedness >= ${summary.threshold}), ${summary.invalid} invalid`,
    `mean groundedness ${summary.meanGroundedness.toFixed(4)}, mean citation coverage ${summary.meanCitationCoverage.toFixed(4)}`,
    `evaluator ${summary.evaluatorVersion}, claim threshold ${summary.claimThreshold}`,
  );
  return `${lines.join('\n')}\n`;
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const USAGE =
  'usage: score-file <file.jsonl> [--threshold 0.7] [--claim-threshold 0.7] [--fail-under <mean>] [--json]\n';

function fractionOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (value.trim() === '' || !(number >= 0 && number <= 1)) throw new Error(`--${name} expects a number in [0, 1]`);
  return number;
}

/** Runs the CLI; returns the exit status instead of exiting, so tests can call it. */
export async function runScoreFile(argv: string[], io: CliIo): Promise<number> {
  let file: string;
  let threshold: number;
  let claimThreshold: number;
  let failUnder: number | undefined;
  let json: boolean;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        threshold: { type: 'string' },
        'claim-threshold': { type: 'string' },
        'fail-under': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    if (positionals.length !== 1 || positionals[0] === undefined) throw new Error('expected exactly one JSONL file');
    file = positionals[0];
    threshold = fractionOption('threshold', values.threshold, DEFAULT_REVIEW_THRESHOLD);
    claimThreshold = fractionOption('claim-threshold', values['claim-threshold'], DEFAULT_CLAIM_THRESHOLD);
    failUnder = values['fail-under'] === undefined ? undefined : fractionOption('fail-under', values['fail-under'], 0);
    json = values.json ?? false;
  } catch (error) {
    io.stderr(`score-file: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    io.stderr(`score-file: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }

  const report = scoreJsonl(text, { threshold, claimThreshold });
  io.stdout(json ? `${JSON.stringify(report)}\n` : formatReport(report));
  if (report.errors.length > 0) return 2;
  if (failUnder !== undefined && report.summary.meanGroundedness < failUnder) {
    io.stderr(`score-file: mean groundedness ${report.summary.meanGroundedness} is below --fail-under ${failUnder}\n`);
    return 1;
  }
  return 0;
}

if (invokedDirectly(import.meta.url)) {
  process.exitCode = await runScoreFile(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
