import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findKafka, findMongo, findQdrant, hasContainerEngine, isPortOpen } from './infrastructure.js';

const cleanups: (() => void | Promise<void>)[] = [];

afterEach(async () => {
  vi.unstubAllEnvs();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A run dir of tools/infra with this infra.json, instead of whatever the machine runs. */
function localInfraRun(state: object | undefined): void {
  const run = mkdtempSync(join(tmpdir(), 'keel-infra-run-'));
  if (state) writeFileSync(join(run, 'infra.json'), JSON.stringify(state));
  vi.stubEnv('KEEL_INFRA_RUN', run);
  cleanups.push(() => rmSync(run, { recursive: true, force: true }));
}

async function listeningPort(): Promise<number> {
  const server: Server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

describe('infrastructure discovery', () => {
  it('takes URLs from the environment first', async () => {
    vi.stubEnv('KAFKA_BROKERS', 'k1:9092,k2:9092');
    vi.stubEnv('MONGODB_URL', 'mongodb://db:27017/');
    expect(await findKafka()).toEqual({
      available: true,
      endpoint: { brokers: ['k1:9092', 'k2:9092'], source: 'env' },
    });
    expect(await findMongo()).toEqual({ available: true, endpoint: { url: 'mongodb://db:27017/', source: 'env' } });
  });

  it('does not require Qdrant under CI unless asked, and says why it is missing', async () => {
    vi.stubEnv('QDRANT_URL', '');
    vi.stubEnv('KEEL_REQUIRE_INFRA', '1');
    vi.stubEnv('KEEL_REQUIRE_QDRANT', '');
    if (await hasContainerEngine()) return; // a machine with an engine starts a real Qdrant instead
    localInfraRun(undefined); // nothing started by tools/infra
    const missing = await findQdrant();
    expect(missing).toMatchObject({ available: false, required: false, reason: expect.stringMatching(/QDRANT_URL/) });
    // .ci/run sets this when the Qdrant binary is on the machine.
    vi.stubEnv('KEEL_REQUIRE_QDRANT', '1');
    expect(await findQdrant()).toMatchObject({ available: false, required: true });
  });

  it('finds Qdrant, Kafka and FerretDB that tools/infra started through its infra.json', async () => {
    for (const name of ['QDRANT_URL', 'KAFKA_BROKERS', 'MONGODB_URL']) vi.stubEnv(name, '');
    if (await hasContainerEngine()) return; // a machine with an engine starts containers instead
    const port = await listeningPort();
    localInfraRun({
      kafka: { brokers: `127.0.0.1:${port}`, version: '4.4.0', pid: 1 },
      mongodb: { url: `mongodb://127.0.0.1:${port}/`, server: 'ferretdb v1.24.2', pid: 2 },
      qdrant: { url: `http://127.0.0.1:${port}`, version: '1.18.3', pid: 3 },
    });
    expect(await findQdrant()).toEqual({
      available: true,
      endpoint: { url: `http://127.0.0.1:${port}`, source: 'tools/infra' },
    });
    expect(await findKafka()).toMatchObject({ available: true, endpoint: { source: 'tools/infra' } });
    expect(await findMongo()).toMatchObject({ available: true, endpoint: { source: 'tools/infra' } });
  });

  it('reports a recorded Qdrant that does not answer, required only when asked', async () => {
    vi.stubEnv('QDRANT_URL', '');
    vi.stubEnv('KEEL_REQUIRE_QDRANT', '1');
    if (await hasContainerEngine()) return;
    const port = await listeningPort();
    await cleanups.pop()?.(); // close it again: nothing answers on that port now
    localInfraRun({ qdrant: { url: `http://127.0.0.1:${port}`, version: '1.18.3', pid: 3 } });
    expect(await findQdrant()).toMatchObject({
      available: false,
      required: true,
      reason: expect.stringMatching(/Qdrant from tools\/infra is not answering/),
    });
  });

  it('probes TCP ports', async () => {
    const { createServer } = await import('node:net');
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    expect(await isPortOpen('127.0.0.1', port)).toBe(true);
    await new Promise((resolve) => server.close(resolve));
    expect(await isPortOpen('127.0.0.1', port, 300)).toBe(false);
  });
});
