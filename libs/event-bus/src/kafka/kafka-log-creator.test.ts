import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { EventBusLogger } from '../logger.js';
import { kafkaLogCreator } from './kafka-log-creator.js';

describe('kafkajs log routing', () => {
  it('passes warnings and errors on, without the ones this adapter causes on purpose', () => {
    const lines: [string, object, string | undefined][] = [];
    const logger: EventBusLogger = {
      debug: (fields, message) => lines.push(['debug', fields, message]),
      info: (fields, message) => lines.push(['info', fields, message]),
      warn: (fields, message) => lines.push(['warn', fields, message]),
      error: (fields, message) => lines.push(['error', fields, message]),
    };
    const log = kafkaLogCreator(logger)(logLevel.WARN);
    const entry = (level: logLevel, message: string) =>
      log({
        namespace: 'Consumer',
        level,
        label: '',
        log: { timestamp: 'now', logger: 'kafkajs', message, groupId: 'g' },
      });
    entry(logLevel.ERROR, 'Crash: KafkaJSNonRetriableError');
    entry(logLevel.WARN, 'The group is rebalancing, re-joining');
    entry(logLevel.WARN, 'Limiting retries for the idempotent producer may invalidate EoS guarantees');
    expect(lines).toEqual([
      ['error', { kafkajs: 'Consumer', groupId: 'g' }, 'Crash: KafkaJSNonRetriableError'],
      ['warn', { kafkajs: 'Consumer', groupId: 'g' }, 'The group is rebalancing, re-joining'],
    ]);
  });
});
