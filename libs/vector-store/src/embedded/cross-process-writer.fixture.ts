/**
 * Run as a separate process by embedded-vector-index.test.ts: the "ingestion" side writing to
 * a directory that the test process reads. Usage: <directory> <collection> <dimensions> <id>...
 */
import { createEmbeddedVectorIndex } from './embedded-vector-index.js';

const [directory, collection, dimensions, ...ids] = process.argv.slice(2);
if (!directory || !collection || !dimensions) throw new Error('usage: <directory> <collection> <dimensions> <id>...');
const size = Number(dimensions);
const index = await createEmbeddedVectorIndex({ directory });
await index.ensureCollection({ name: collection, dimensions: size });
await index.upsert(
  collection,
  ids.map((id, i) => ({
    id,
    vector: Array.from({ length: size }, (_, d) => (d === i % size ? 1 : 0)),
    text: `Written by process ${process.pid}: chunk ${id} about seismographs.`,
    payload: { tenantId: 'cross', writerPid: process.pid },
  })),
);
await index.close();
process.stdout.write(`wrote ${ids.length}\n`);
