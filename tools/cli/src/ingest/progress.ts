/**
 * Progress of a load: a bar with rate and ETA on a terminal (cli-progress), plain lines at most
 * every few seconds otherwise (a pipe or a CI log is not redrawn).
 */
import { SingleBar } from 'cli-progress';
import type { CommandIo } from '../command-io.js';

export interface Counts {
  indexed: number;
  unchanged: number;
  rejected: number;
  failed: number;
}

export interface Progress {
  update(done: number, counts: Counts): void;
  stop(): void;
}

const PLAIN_INTERVAL_MS = 2_000;

export function startProgress(io: CommandIo, total: number, enabled: boolean): Progress {
  if (enabled && io.tty) return barProgress(io.tty, total);
  return plainProgress(io, total);
}

function barProgress(stream: NodeJS.WriteStream, total: number): Progress {
  const startedAt = Date.now();
  const bar = new SingleBar({
    stream,
    format:
      'ingest [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted} | indexed {indexed} unchanged {unchanged} rejected {rejected}',
    hideCursor: true,
    etaBuffer: 50,
  });
  bar.start(total, 0, { rate: '0.0', indexed: 0, unchanged: 0, rejected: 0 });
  return {
    update(done, counts) {
      const seconds = (Date.now() - startedAt) / 1000;
      bar.update(done, { ...counts, rate: seconds > 0 ? (done / seconds).toFixed(1) : '0.0' });
    },
    stop: () => bar.stop(),
  };
}

function plainProgress(io: CommandIo, total: number): Progress {
  const startedAt = Date.now();
  let lastAt = 0;
  let lastDone = -1;
  const line = (done: number, counts: Counts) => {
    const seconds = (Date.now() - startedAt) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? Math.ceil((total - done) / rate) : undefined;
    const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
    io.err(
      `ingest: ${done}/${total} (${percent}%), ${rate.toFixed(1)}/s, ETA ${eta === undefined ? '?' : `${eta}s`}; ` +
        `indexed ${counts.indexed}, unchanged ${counts.unchanged}, rejected ${counts.rejected}, failed ${counts.failed}`,
    );
  };
  return {
    update(done, counts) {
      const now = Date.now();
      if (done === lastDone || (now - lastAt < PLAIN_INTERVAL_MS && done < total)) return;
      lastAt = now;
      lastDone = done;
      line(done, counts);
    },
    stop() {},
  };
}
