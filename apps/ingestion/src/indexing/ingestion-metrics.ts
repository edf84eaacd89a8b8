/**
 * Domain metrics of the pipeline (RED metrics of HTTP and the consumer come from the kit):
 * how many documents end in which outcome, how many chunks are written, and how long a run takes.
 */
import { getMeter } from '@keel/platform';

export interface IngestionMetrics {
  outcome(outcome: 'indexed' | 'unchanged' | 'rejected', code?: string): void;
  chunksWritten(count: number): void;
  duration(milliseconds: number, outcome: string): void;
}

export function createIngestionMetrics(): IngestionMetrics {
  const meter = getMeter();
  const documents = meter.createCounter('keel.ingestion.documents', {
    description: 'Documents processed by the indexing pipeline, by outcome',
  });
  const chunks = meter.createCounter('keel.ingestion.chunks', { description: 'Chunks embedded and upserted' });
  const durations = meter.createHistogram('keel.ingestion.duration', {
    description: 'Time from the start of processing to the final job state',
    unit: 'ms',
  });
  return {
    outcome: (outcome, code) => documents.add(1, code ? { outcome, code } : { outcome }),
    chunksWritten: (count) => chunks.add(count),
    duration: (milliseconds, outcome) => durations.record(milliseconds, { outcome }),
  };
}
