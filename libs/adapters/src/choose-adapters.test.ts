import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@keel/platform';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseBusAndStore, chooseEventBus } from './choose-adapters.js';

const logger = createLogger('adapters-test', { level: 'silent' });
const encoder = new TextEncoder();

describe('chooseEventBus without Kafka', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'keel-adapters-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the embedded log in <dataDir>/<service>.event-bus.db, so what was not handled survives a restart', async () => {
    const first = chooseEventBus({ service: 'ingestion', logger, dataDir });
    expect(existsSync(join(dataDir, 'ingestion.event-bus.db'))).toBe(true);
    await first.publish('keel.adapters.test', [{ key: 'k', value: encoder.encode('accepted') }]);
    await first.close();

    const second = chooseEventBus({ service: 'ingestion', logger, dataDir });
    const received: string[] = [];
    await second.subscribe({
      groupId: 'g',
      topics: ['keel.adapters.test'],
      handler: async (message) => {
        received.push(new TextDecoder().decode(message.value));
      },
    });
    await expect.poll(() => received).toEqual(['accepted']);
    await second.close();
  });

  it('gives each service its own log, and refuses a second process of the same service', async () => {
    const held = chooseEventBus({ service: 'policy', logger, dataDir });
    const other = chooseEventBus({ service: 'evaluation', logger, dataDir });
    expect(() => chooseEventBus({ service: 'policy', logger, dataDir })).toThrow(/already open/);
    await Promise.all([held.close(), other.close()]);
  });

  it('closes the bus again when the store cannot open, so its file is not left locked', async () => {
    // A directory where the store's SQLite file should be: the store cannot open it.
    mkdirSync(join(dataDir, 'policy.db'));
    await expect(chooseBusAndStore({ logger, dataDir, service: 'policy' })).rejects.toThrow();
    const again = chooseEventBus({ service: 'policy', logger, dataDir });
    await again.close();
  });

  it('stays in memory without a data directory', async () => {
    const bus = chooseEventBus({ service: 'inference-gateway', logger });
    expect((await bus.health()).detail).toMatch(/in-memory/);
    await bus.close();
  });
});
