import { describe, expect, it } from 'vitest';
import { Readiness } from './readiness.js';

describe('Readiness', () => {
  it('is ready with no checks and when every check passes', async () => {
    const readiness = new Readiness();
    expect(await readiness.report()).toEqual({ ready: true, checks: {} });
    readiness.register('store', async () => ({ ok: true, detail: 'sqlite' }));
    expect(await readiness.report()).toEqual({ ready: true, checks: { store: { ok: true, detail: 'sqlite' } } });
  });

  it('reports a throwing check as failing with its message', async () => {
    const readiness = new Readiness();
    readiness.register('kafka', async () => {
      throw new Error('connection refused');
    });
    readiness.register('store', async () => ({ ok: true, detail: 'ok' }));
    const report = await readiness.report();
    expect(report.ready).toBe(false);
    expect(report.checks.kafka).toEqual({ ok: false, detail: 'connection refused' });
  });

  it('bounds a hanging check', async () => {
    const readiness = new Readiness({ checkTimeoutMs: 100 });
    readiness.register('hangs', () => new Promise(() => {}));
    const report = await readiness.report();
    expect(report).toEqual({ ready: false, checks: { hangs: { ok: false, detail: 'no answer within 100 ms' } } });
  });

  it('runs the checks concurrently', async () => {
    // The first check can only pass if the second one starts while the first is still running.
    let secondStarted: () => void = () => {};
    const second = new Promise<void>((resolve) => {
      secondStarted = resolve;
    });
    const readiness = new Readiness({ checkTimeoutMs: 500 });
    readiness.register('first', async () => {
      await second;
      return { ok: true, detail: 'saw the second start' };
    });
    readiness.register('second', async () => {
      secondStarted();
      return { ok: true, detail: 'ok' };
    });
    expect((await readiness.report()).ready).toBe(true);
  });

  it('reports not ready once shutting down', async () => {
    const readiness = new Readiness();
    readiness.register('store', async () => ({ ok: true, detail: 'ok' }));
    readiness.markShuttingDown();
    expect(await readiness.report()).toMatchObject({ ready: false, checks: { shutdown: { ok: false } } });
  });

  it('refuses a name registered twice', () => {
    const readiness = new Readiness();
    readiness.register('store', async () => ({ ok: true, detail: '' }));
    expect(() => readiness.register('store', async () => ({ ok: true, detail: '' }))).toThrow(/twice/);
  });
});
