/**
 * The dead-letter replay command, separated from its entry point (`cli.ts`) so tests can run it
 * with their own bus and output streams.
 */
import { parseArgs } from 'node:util';
import type { EventBus } from '../event-bus.js';
import { type ReplayedLetter, replayDeadLetters } from './replay-dead-letters.js';

export const replayUsage = `usage: replay-dead-letters --topic <topic> [--brokers host:port,...] [--group <id>]
                          [--limit <n>] [--idle-ms <ms>] [--dry-run]

Republishes the messages of <topic>.dlq to their original topic, without the keel-dlq-* headers
and with keel-replayed-from. Kafka only (the embedded bus lives inside one process): brokers come
from --brokers or KAFKA_BROKERS.`;

export interface ReplayCliIo {
  out(line: string): void;
  err(line: string): void;
}

export type ConnectBus = (brokers: string[]) => EventBus | Promise<EventBus>;

/** Runs the command; resolves to the process exit code (0 done, 1 failed, 2 bad usage). */
export async function runReplayCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: ReplayCliIo,
  connect: ConnectBus,
): Promise<number> {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(argv);
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n${replayUsage}`);
    return 2;
  }
  if (values.help) {
    io.out(replayUsage);
    return 0;
  }
  if (!values.topic) {
    io.err(`--topic is required\n${replayUsage}`);
    return 2;
  }
  const brokers = (values.brokers ?? env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  if (brokers.length === 0) {
    io.err('KAFKA_BROKERS (or --brokers) is required: the replay tool works on Kafka, not the in-process embedded bus');
    return 2;
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  const idleMs = values['idle-ms'] === undefined ? undefined : Number(values['idle-ms']);
  if ((limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) || (idleMs !== undefined && !(idleMs > 0))) {
    io.err(`--limit must be a whole number >= 0 and --idle-ms a positive number\n${replayUsage}`);
    return 2;
  }

  const bus = await connect(brokers);
  try {
    const dryRun = values['dry-run'] ?? false;
    const report = await replayDeadLetters(bus, {
      topic: values.topic,
      groupId: values.group,
      limit,
      idleMs,
      dryRun,
      onLetter: (letter) => io.out(formatLetter(letter, dryRun)),
    });
    const verb = dryRun ? 'would replay' : 'replayed';
    const more = report.limitReached ? ' (limit reached; more may be waiting)' : '';
    io.out(`${verb} ${report.letters.length} message(s) from ${report.deadLetterTopic}${more}`);
    return 0;
  } catch (error) {
    io.err(`replay failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await bus.close();
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      topic: { type: 'string' },
      brokers: { type: 'string' },
      group: { type: 'string' },
      limit: { type: 'string' },
      'idle-ms': { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
}

function formatLetter(letter: ReplayedLetter, dryRun: boolean): string {
  const arrow = dryRun ? 'would go to' : '->';
  return `${letter.from} ${arrow} ${letter.targetTopic} key=${letter.key} code=${letter.errorCode} attempts=${letter.attempts} failed-at=${letter.failedAt} error=${JSON.stringify(letter.error)}`;
}
