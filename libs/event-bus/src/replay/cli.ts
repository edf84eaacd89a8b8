/**
 * Replays dead letters on Kafka:
 *   npx tsx libs/event-bus/src/replay/cli.ts --topic keel.ingest.requested.v1 [--brokers 127.0.0.1:9092]
 */
import { createKafkaEventBus } from '../kafka/kafka-event-bus.js';
import { runReplayCli } from './replay-cli.js';

process.exitCode = await runReplayCli(
  process.argv.slice(2),
  process.env,
  { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) },
  (brokers) => createKafkaEventBus({ brokers, clientId: 'keel-dlq-replay' }),
);
