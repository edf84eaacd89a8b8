/**
 * Runs benchmarks by name (all of them without arguments), one after another, printing each
 * table and writing bench/results/<name>.json.
 *
 *   npx tsx bench/run.ts [vector-search] [fusion-weights] [event-bus] [doc-store] [scoring] [parsers] [policy-quality] [policy-evaluation] [gateway-overhead] [ingestion-throughput] [cli-ingest] [console] [offline-run] [online-scoring]
 */
import { cliIngestBenchmark } from './cli-ingest.js';
import { consoleBenchmark } from './console.js';
import { docStoreBenchmark } from './doc-store.js';
import { eventBusBenchmark } from './event-bus.js';
import { fusionWeightsBenchmark } from './fusion-weights.js';
import { gatewayOverheadBenchmark } from './gateway-overhead.js';
import { type Benchmark, machineFacts, printTable, writeResult } from './harness.js';
import { ingestionThroughputBenchmark } from './ingestion-throughput.js';
import { offlineRunBenchmark } from './offline-run.js';
import { onlineScoringBenchmark } from './online-scoring.js';
import { parsersBenchmark } from './parsers.js';
import { policyEvaluationBenchmark } from './policy-evaluation.js';
import { policyQualityBenchmark } from './policy-quality.js';
import { scoringBenchmark } from './scoring.js';
import { vectorSearchBenchmark } from './vector-search.js';

const benchmarks: readonly Benchmark[] = [
  vectorSearchBenchmark,
  fusionWeightsBenchmark,
  eventBusBenchmark,
  docStoreBenchmark,
  scoringBenchmark,
  parsersBenchmark,
  policyQualityBenchmark,
  policyEvaluationBenchmark,
  gatewayOverheadBenchmark,
  ingestionThroughputBenchmark,
  cliIngestBenchmark,
  offlineRunBenchmark,
  consoleBenchmark,
  onlineScoringBenchmark,
];

async function main(names: string[]): Promise<void> {
  const unknown = names.filter((name) => !benchmarks.some((benchmark) => benchmark.name === name));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}`);
    console.error(`available: ${benchmarks.map((benchmark) => benchmark.name).join(', ')}`);
    process.exit(2);
  }
  const selected = names.length === 0 ? benchmarks : benchmarks.filter((benchmark) => names.includes(benchmark.name));
  for (const benchmark of selected) {
    const machine = machineFacts();
    console.log(`\n=== ${benchmark.name}: ${benchmark.description}`);
    console.log(
      `    ${Object.entries(machine)
        .map(([key, value]) => `${key} ${value}`)
        .join(', ')}`,
    );
    const startedAt = new Date();
    const started = performance.now();
    const report = await benchmark.run();
    const durationMs = performance.now() - started;
    for (const table of report.tables) printTable(table);
    for (const note of report.notes) console.log(`note: ${note}`);
    const path = writeResult(benchmark.name, { startedAt, durationMs, machine }, report);
    console.log(`\n${benchmark.name} took ${(durationMs / 1000).toFixed(1)} s; wrote ${path}`);
  }
}

await main(process.argv.slice(2));
