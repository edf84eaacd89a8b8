/**
 * Progress of a run: a bar with rate, ETA, errors and mean groundedness on a terminal
 * (cli-progress), plain lines at most every few seconds otherwise (a CI log is not redrawn).
 */
import { SingleBar } from 'cli-progress';
import type { CommandIo } from '../command-io.js';
import type { RunTotals } from './run-summary.js';

export interface EvalProgress {
  update(totals: RunTotals): void;
  stop(): void;
}

const PLAIN_INTERVAL_MS = 2_000;

const mean = (totals: RunTotals) => {
  const value = totals.mean('groundedness');
  return value === null ? '-' : value.toFixed(3);
};

export function startEvalProgress(io: CommandIo, total: number | null, enabled: boolean): EvalProgress {
  const startedAt = Date.now();
  const rate = (done: number) => {
    const seconds = (Date.now() - startedAt) / 1000;
    return seconds > 0 ? done / seconds : 0;
  };
  if (enabled && io.tty && total !== null) {
    const bar = new SingleBar({
      stream: io.tty,
      format:
        'eval [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted} | errors {errors} | groundedness {groundedness}',
      hideCursor: true,
      etaBuffer: 50,
    });
    bar.start(total, 0, { rate: '0.0', errors: 0, groundedness: '-' });
    return {
      update: (totals) =>
        bar.update(totals.total, {
          rate: rate(totals.total).toFixed(1),
          errors: totals.errors,
          groundedness: mean(totals),
        }),
      stop: () => bar.stop(),
    };
  }
  let lastAt = 0;
  return {
    update(totals) {
      const now = Date.now();
      if (now - lastAt < PLAIN_INTERVAL_MS && totals.total !== total) return;
      lastAt = now;
      const done = totals.total;
      const perSecond = rate(done);
      const of = total === null ? '' : `/${total} (${total > 0 ? Math.floor((done / total) * 100) : 100}%)`;
      const eta = total !== null && perSecond > 0 ? `, ETA ${Math.ceil((total - done) / perSecond)}s` : '';
      io.err(
        `eval: ${done}${of}, ${perSecond.toFixed(1)}/s${eta}; errors ${totals.errors}, groundedness ${mean(totals)}`,
      );
    },
    stop() {},
  };
}
