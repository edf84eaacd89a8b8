/**
 * Routes kafkajs's own log lines to the service logger, warnings and errors only: at info it
 * narrates every join and connection, which drowns the service's logs.
 */
import { type LogEntry, type logCreator, logLevel } from 'kafkajs';
import type { EventBusLogger } from '../logger.js';
import { isTopicSettlingLogError } from './topic-readiness.js';

/**
 * Warnings caused by choices this adapter makes on purpose. The idempotent producer's retries are
 * bounded so a publish fails within seconds when Kafka is gone, instead of retrying forever;
 * a publish retried by the caller may then duplicate, which at-least-once consumers tolerate.
 */
const expectedWarnings = [/^Limiting retries for the idempotent producer/];

/**
 * `settling`: while it is active, kafkajs's lines about the answers a broker gives while topics
 * are being created ("unknown topic", "no leader", "not the leader", "already exists") go to
 * debug: they are expected then, kafkajs or the bus retries them, and a lasting failure still
 * reaches the caller as an error.
 */
export function kafkaLogCreator(logger: EventBusLogger, settling?: { readonly active: boolean }): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const entry = { kafkajs: namespace, ...fields };
      if (level > logLevel.WARN) return;
      if (settling?.active && isTopicSettlingLogError(fields.error)) logger.debug(entry, message);
      else if (level === logLevel.ERROR) logger.error(entry, message);
      else if (!expectedWarnings.some((pattern) => pattern.test(message))) logger.warn(entry, message);
    };
}
