import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isKeelError } from '@keel/platform';
import { afterAll, describe, expect, it } from 'vitest';
import { scoreAnswer } from './score-answer.js';
import { createScoringPool, SCORING_BUSY, type ScoringPool } from './scoring-pool.js';
import { syntheticScoringInput } from './testing/synthetic-input.js';

const small = {
  answer: 'Refunds take 5 business days [1]. Robots come with free pizza.',
  contexts: [{ chunkId: 'refunds', text: 'Refunds take 5 business days after the return arrives.' }],
};
const large = syntheticScoringInput({ answerChars: 32_000, contextChars: 900_000 });

const pools: ScoringPool[] = [];
function pool(options: Parameters<typeof createScoringPool>[0]): ScoringPool {
  const created = createScoringPool(options);
  pools.push(created);
  return created;
}

afterAll(async () => {
  await Promise.all(pools.map((created) => created.close()));
});

describe('scoring pool', () => {
  it('scores in a worker thread exactly as inline, with the claim threshold it is given', async () => {
    const scorer = pool({ threads: 1 });
    expect(await scorer.score(small, { claimThreshold: 0.9 })).toEqual(scoreAnswer(small, { claimThreshold: 0.9 }));
  });

  it('cuts an oversized input before scoring it, and says so', async () => {
    const scorer = pool({ threads: 1 });
    const scores = await scorer.score({ ...small, answer: `${small.answer} ${'More text here. '.repeat(3_000)}` });
    expect(scores.truncated[0]).toMatch(/^answer cut to its first \d+ of 48\d+ characters$/);
    expect(scores.metrics[0]?.explanation).toContain('; truncated: answer cut to its first');
  });

  it('refuses work with 503 when every thread is busy and the queue is full, unless asked to wait', async () => {
    const scorer = pool({ threads: 1, maxQueue: 1 });
    const running = scorer.score(large);
    const queued = scorer.score(large);
    const refused = await scorer.score(small).catch((error: unknown) => error);
    expect(isKeelError(refused) && refused).toMatchObject({ httpStatus: 503, code: SCORING_BUSY, retryable: true });
    const waited = scorer.score(small, {}, { wait: true });
    expect(scorer.queued).toBe(2);
    await Promise.all([running, queued]);
    expect((await waited).groundedness).toBe(0.5);
  });

  it('fails a task that runs too long with 503 and keeps serving', async () => {
    const scorer = pool({ threads: 1, taskTimeoutMs: 1 });
    const failed = await scorer.score(large).catch((error: unknown) => error);
    expect(isKeelError(failed) && failed).toMatchObject({
      httpStatus: 503,
      message: expect.stringContaining('no result within 1 ms'),
    });
  });

  it('refuses what waits when it closes, and lets the process exit', async () => {
    const scorer = createScoringPool({ threads: 1 });
    const running = scorer.score(large);
    const waiting = scorer.score(small).catch((error: unknown) => error);
    await scorer.close();
    await expect(running).resolves.toMatchObject({ evaluatorVersion: expect.any(String) });
    expect(await waiting).toMatchObject({ httpStatus: 503 });
    await expect(scorer.score(small)).rejects.toMatchObject({ httpStatus: 503 });
  });

  it('starts its worker when the service runs from TypeScript under node --import tsx', async () => {
    const poolModule = fileURLToPath(new URL('./scoring-pool.ts', import.meta.url));
    const script = `
      const { createScoringPool } = await import(${JSON.stringify(poolModule)});
      const pool = createScoringPool({ threads: 1 });
      const scores = await pool.score(${JSON.stringify(small)});
      await pool.close();
      console.log(JSON.stringify({ groundedness: scores.groundedness }));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      { cwd: fileURLToPath(new URL('../../../../', import.meta.url)), timeout: 60_000 },
    );
    expect(JSON.parse(stdout.trim())).toEqual({ groundedness: 0.5 });
  });
});
