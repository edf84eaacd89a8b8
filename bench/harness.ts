/**
 * What every benchmark shares: seeded randomness, timing with warm-up, percentiles, memory
 * snapshots, machine facts, table printing and the JSON result file. Benchmarks only describe
 * what they run; how it is measured and reported lives here, once.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A cell of a result table: numbers are formatted when printed and kept exact in the JSON. */
export type Cell = string | number | undefined;
export type Row = Record<string, Cell>;

export interface ResultTable {
  title: string;
  rows: Row[];
}

export interface BenchmarkReport {
  /** The parameters this run used (sizes, seeds, batch sizes), so a result can be reproduced. */
  config: Record<string, string | number | boolean>;
  tables: ResultTable[];
  /** Caveats observed during this run (skipped subjects, fallbacks). */
  notes: string[];
}

export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchmarkReport>;
}

// ---------------------------------------------------------------- randomness

/** mulberry32: tiny, fast and good enough to make synthetic data reproducible from a seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box-Muller) from a uniform source. */
export function gaussian(random: () => number): () => number {
  return () => {
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new RangeError('pick from an empty list');
  return item;
}

// ---------------------------------------------------------------- timing

export interface LatencyStats {
  count: number;
  p50Ms: number;
  p95Ms: number;
  meanMs: number;
  maxMs: number;
  /** Operations per second over the measured wall time (sequential operations: 1000 / mean). */
  opsPerSec: number;
}

/** Nearest-rank percentile of ascending samples. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Latency statistics of samples in ms; `wallMs` overrides the sum when operations overlapped. */
export function summarize(samples: readonly number[], wallMs?: number): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  const elapsed = wallMs ?? total;
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p95Ms: percentile(sorted, 0.95),
    meanMs: sorted.length === 0 ? Number.NaN : total / sorted.length,
    maxMs: sorted.at(-1) ?? Number.NaN,
    opsPerSec: elapsed > 0 ? (sorted.length * 1000) / elapsed : Number.NaN,
  };
}

/**
 * Runs `operation(0..warmup-1)` unmeasured (JIT, caches, connections), then `operation(i)` for
 * i in 0..count-1 one after another, timing each with `performance.now()`. The warm-up indices
 * are passed as negative numbers (-warmup..-1) so callers can tell them apart.
 */
export async function timeEach(
  count: number,
  warmup: number,
  operation: (index: number) => Promise<unknown> | unknown,
): Promise<{ stats: LatencyStats; samples: number[] }> {
  for (let index = -warmup; index < 0; index++) await operation(index);
  const samples: number[] = new Array(count);
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await operation(index);
    samples[index] = performance.now() - started;
  }
  return { stats: summarize(samples), samples };
}

/** A latency row: subject and case first, then the statistics, then anything else. */
export function latencyRow(subject: string, operation: string, stats: LatencyStats, extra: Row = {}): Row {
  return {
    subject,
    operation,
    n: stats.count,
    'ops/s': stats.opsPerSec,
    'p50 ms': stats.p50Ms,
    'p95 ms': stats.p95Ms,
    'mean ms': stats.meanMs,
    'max ms': stats.maxMs,
    ...extra,
  };
}

/** A row saying visibly that a subject was not measured, and why. */
export function skippedRow(subject: string, reason: string): Row {
  return { subject, operation: `skipped: ${reason}` };
}

export function elapsedSince(started: number): number {
  return performance.now() - started;
}

// ---------------------------------------------------------------- memory

let collectGarbage: (() => void) | undefined;

/**
 * A full GC before a snapshot makes "heap used" mean retained memory, not garbage not yet
 * collected. Exposing `gc` at run time avoids requiring `node --expose-gc` from whoever runs this.
 */
function garbageCollector(): () => void {
  if (!collectGarbage) {
    setFlagsFromString('--expose-gc');
    collectGarbage = runInNewContext('gc') as () => void;
  }
  return collectGarbage;
}

export interface MemorySnapshot {
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
}

export function memorySnapshot(): MemorySnapshot {
  garbageCollector()();
  const usage = process.memoryUsage();
  const mb = (bytes: number) => bytes / 1024 / 1024;
  return { rssMb: mb(usage.rss), heapUsedMb: mb(usage.heapUsed), externalMb: mb(usage.external) };
}

/** A memory row: after, and the growth since `before` (RSS includes native memory: usearch, SQLite). */
export function memoryRow(subject: string, stage: string, before: MemorySnapshot, after: MemorySnapshot): Row {
  return {
    subject,
    stage,
    'rss MB': after.rssMb,
    'Δ rss MB': after.rssMb - before.rssMb,
    'heap MB': after.heapUsedMb,
    'Δ heap MB': after.heapUsedMb - before.heapUsedMb,
    'external MB': after.externalMb,
  };
}

// ---------------------------------------------------------------- machine facts and output

export function machineFacts(): Record<string, string | number> {
  const processors = cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: processors.length,
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    totalMemoryMb: Math.round(totalmem() / 1024 / 1024),
    freeMemoryMb: Math.round(freemem() / 1024 / 1024),
    // Other processes share this machine: the load average at the start says how busy it was.
    loadAverage1m: Number(loadavg()[0]?.toFixed(2)),
  };
}

function formatCell(cell: Cell): string {
  if (cell === undefined) return '';
  if (typeof cell === 'string') return cell;
  if (!Number.isFinite(cell)) return String(cell);
  if (Number.isInteger(cell)) return cell.toLocaleString('en-US');
  const digits = Math.abs(cell) >= 100 ? 0 : Math.abs(cell) >= 10 ? 1 : Math.abs(cell) >= 1 ? 2 : 3;
  return cell.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Prints a table whose columns are the keys its rows fill, in first-seen order, `note` last. */
export function printTable(table: ResultTable): void {
  const filled = new Set(table.rows.flatMap((row) => Object.keys(row).filter((key) => row[key] !== undefined)));
  // Free-text notes read best at the end of a line.
  const columns = [...filled].filter((column) => column !== 'note').concat(filled.has('note') ? ['note'] : []);
  const cells = table.rows.map((row) => columns.map((column) => formatCell(row[column])));
  const widths = columns.map((column, c) => Math.max(column.length, ...cells.map((line) => line[c]?.length ?? 0)));
  const line = (values: string[]) =>
    values.map((value, c) => (c < 2 ? value.padEnd(widths[c] ?? 0) : value.padStart(widths[c] ?? 0))).join('  ');
  console.log(`\n${table.title}`);
  console.log(line(columns));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const values of cells) console.log(line(values));
}

const resultsDirectory = join(dirname(fileURLToPath(import.meta.url)), 'results');

/** Writes `bench/results/<name>.json`: machine, config, every table with exact numbers, notes. */
export function writeResult(
  name: string,
  run: { startedAt: Date; durationMs: number; machine: Record<string, string | number> },
  report: BenchmarkReport,
): string {
  mkdirSync(resultsDirectory, { recursive: true });
  const path = join(resultsDirectory, `${name}.json`);
  const roundedTables = report.tables.map((table) => ({
    title: table.title,
    rows: table.rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([key, cell]) => [key, typeof cell === 'number' ? round(cell) : cell]),
      ),
    ),
  }));
  const result = {
    benchmark: name,
    startedAt: run.startedAt.toISOString(),
    durationSeconds: round(run.durationMs / 1000),
    machine: run.machine,
    config: report.config,
    tables: roundedTables,
    notes: report.notes,
  };
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}

/** Four significant digits: enough for a benchmark, small and stable enough to commit. */
function round(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(4)) : value;
}

// ---------------------------------------------------------------- configuration

/** A positive integer from the environment (`BENCH_*`), or the default. */
export function integerSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value <= 0) throw new TypeError(`${name} must be a positive integer, got "${raw}"`);
  return value;
}
