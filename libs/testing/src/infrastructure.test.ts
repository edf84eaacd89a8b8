import { afterEach, describe, expect, it, vi } from 'vitest';
import { findKafka, findMongo, findQdrant, hasContainerEngine, isPortOpen } from './infrastructure.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

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
    if (await hasContainerEngine()) return; // a machine with an engine starts a real Qdrant instead
    const missing = await findQdrant();
    expect(missing).toMatchObject({ available: false, required: false, reason: expect.stringMatching(/QDRANT_URL/) });
    vi.stubEnv('KEEL_REQUIRE_QDRANT', '1');
    expect(await findQdrant()).toMatchObject({ available: false, required: true });
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
