import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScoreFile, scoreJsonl } from './score-file.js';

const contexts = [
  { chunkId: 'returns#0', text: 'Customers can return any robot within 30 days of delivery.' },
  { chunkId: 'refunds#0', text: 'Refunds are issued to the original payment method within 5 business days.' },
];

const grounded = {
  id: 'grounded',
  question: 'How long do I have to return a robot?',
  answer: 'Customers can return any robot within 30 days of delivery [1].',
  contexts,
};
const fabricated = {
  id: 'fabricated',
  question: 'How fast are refunds?',
  answer: 'Refunds arrive in cash at the store within 2 hours.',
  contexts,
};

let directory: string;

async function fileWith(name: string, lines: string[]): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (text: string) => out.push(text), stderr: (text: string) => err.push(text) },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'keel-score-file-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('scoreJsonl', () => {
  it('scores each record and summarises the run', () => {
    const report = scoreJsonl([JSON.stringify(grounded), '', JSON.stringify(fabricated)].join('\n'), {
      threshold: 0.7,
      claimThreshold: 0.7,
    });
    expect(report.results.map((result) => [result.id, result.line, result.passed])).toEqual([
      ['grounded', 1, true],
      ['fabricated', 3, false],
    ]);
    expect(report.summary).toMatchObject({ records: 2, passed: 1, invalid: 0, meanGroundedness: 0.5 });
  });

  it('reports lines that are not JSON or not records, by number and field', () => {
    const report = scoreJsonl(['{oops', JSON.stringify({ answer: 'x' })].join('\n'), {
      threshold: 0.7,
      claimThreshold: 0.7,
    });
    expect(report.errors).toEqual([
      { line: 1, message: expect.stringContaining('not JSON') },
      { line: 2, message: expect.stringContaining('contexts') },
    ]);
  });
});

describe('runScoreFile', () => {
  it('prints a line per record and a summary, exiting 0', async () => {
    const path = await fileWith('ok.jsonl', [JSON.stringify(grounded), JSON.stringify(fabricated)]);
    const output = capture();
    expect(await runScoreFile([path], output.io)).toBe(0);
    expect(output.stdout()).toMatch(/^PASS {2}grounded {2}groundedness=1\.00/m);
    expect(output.stdout()).toMatch(/^FAIL {2}fabricated {2}groundedness=0\.00/m);
    expect(output.stdout()).toContain('2 records scored, 1 passed (groundedness >= 0.7), 0 invalid');
    expect(output.stdout()).toContain('mean groundedness 0.5000');
  });

  it('exits 1 when the mean is below --fail-under, and honours --threshold', async () => {
    const path = await fileWith('gate.jsonl', [JSON.stringify(grounded), JSON.stringify(fabricated)]);
    const output = capture();
    expect(await runScoreFile([path, '--fail-under', '0.9', '--threshold', '0'], output.io)).toBe(1);
    expect(output.stdout()).toContain('2 passed (groundedness >= 0)');
    expect(output.stderr()).toContain('below --fail-under 0.9');
    expect(await runScoreFile([path, '--fail-under', '0.5'], capture().io)).toBe(0);
  });

  it('prints the report as JSON with --json', async () => {
    const path = await fileWith('json.jsonl', [JSON.stringify(grounded)]);
    const output = capture();
    expect(await runScoreFile([path, '--json'], output.io)).toBe(0);
    expect(JSON.parse(output.stdout()).summary).toMatchObject({ records: 1, meanGroundedness: 1 });
  });

  it('exits 2 on bad usage, an unreadable file or an invalid line', async () => {
    const usage = capture();
    expect(await runScoreFile([], usage.io)).toBe(2);
    expect(usage.stderr()).toContain('usage: score-file');
    expect(await runScoreFile([join(directory, 'missing.jsonl')], capture().io)).toBe(2);
    expect(await runScoreFile(['x.jsonl', '--threshold', '2'], capture().io)).toBe(2);
    const path = await fileWith('bad.jsonl', [JSON.stringify(grounded), 'nope']);
    const output = capture();
    expect(await runScoreFile([path], output.io)).toBe(2);
    expect(output.stdout()).toContain('INVALID  line 2  not JSON');
  });

  it('runs as a script', async () => {
    const path = await fileWith('script.jsonl', [JSON.stringify(fabricated)]);
    const script = fileURLToPath(new URL('./score-file.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../../../node_modules/.bin/tsx', import.meta.url));
    const run = promisify(execFile);
    const passing = await run(tsx, [script, path, '--fail-under', '0']);
    expect(passing.stdout).toContain('1 records scored, 0 passed');
    await expect(run(tsx, [script, path, '--fail-under', '0.5'])).rejects.toMatchObject({ code: 1 });
  });
});
