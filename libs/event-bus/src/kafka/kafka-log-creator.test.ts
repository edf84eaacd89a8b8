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

  it('writes the answers a broker gives while topics are being created at debug, only while they are', () => {
    const levels: string[] = [];
    const logger: EventBusLogger = {
      debug: () => levels.push('debug'),
      info: () => levels.push('info'),
      warn: () => levels.push('warn'),
      error: () => levels.push('error'),
    };
    const settling = { active: true };
    const log = kafkaLogCreator(logger, settling)(logLevel.WARN);
    const response = (error: string) =>
      log({
        namespace: 'Connection',
        level: logLevel.ERROR,
        label: 'ERROR',
        log: { timestamp: 'now', logger: 'kafkajs', message: 'Response Metadata(key: 3, version: 6)', error },
      });
    response('This server does not host this topic-partition');
    response('There is no leader for this topic-partition as we are in the middle of a leadership election');
    response('This server is not the leader for that topic-partition');
    response('Topic creation errors');
    response('Not authorized to access topics: [Topic authorization failed]');
    expect(levels).toEqual(['debug', 'debug', 'debug', 'debug', 'error']);

    levels.length = 0;
    settling.active = false;
    response('This server is not the leader for that topic-partition');
    expect(levels).toEqual(['error']);
  });
});
