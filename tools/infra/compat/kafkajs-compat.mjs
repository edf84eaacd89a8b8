// kafkajs 2.2.4 <-> local Kafka broker compatibility check: the evidence behind the
// Kafka version choice in ../README.md. Needs a running broker and kafkajs
// resolvable from here (the repo root's node_modules):
//   tools/infra/infra.sh start && node tools/infra/compat/kafkajs-compat.mjs
// Prints one line per step, then "N passed, N failed"; exits 1 if a step failed.
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const brokers = [process.env.KAFKA_BROKERS || '127.0.0.1:9092'];
const kafka = new Kafka({ clientId: 'kjs-compat', brokers, logLevel: logLevel.WARN });
const results = [];

async function step(name, fn) {
  const started = Date.now();
  try {
    const r = await fn();
    results.push([name, 'OK', `${Date.now() - started}ms`, r === undefined ? '' : JSON.stringify(r).slice(0, 160)]);
  } catch (e) {
    results.push([name, 'FAIL', `${Date.now() - started}ms`, `${e.name}: ${e.message}`]);
  }
}

const suffix = Date.now();
const topic = `compat-${suffix}`;
const autoTopic = `compat-auto-${suffix}`;
const groupId = `compat-group-${suffix}`;

const admin = kafka.admin();
await step('admin.connect', () => admin.connect());
await step('admin.describeCluster', () =>
  admin.describeCluster().then((c) => ({ brokers: c.brokers.length, controller: c.controller })),
);
await step('admin.createTopics (3 partitions)', () =>
  admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] }),
);
await step('admin.listTopics', () => admin.listTopics().then((t) => t.includes(topic)));
await step('admin.fetchTopicMetadata', () =>
  admin.fetchTopicMetadata({ topics: [topic] }).then((m) => m.topics[0].partitions.length),
);
await step('admin.describeConfigs', () =>
  admin
    .describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic }] })
    .then((r) => r.resources[0].configEntries.length),
);

const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await step('producer.connect (idempotent)', () => producer.connect());
await step('producer.send 30 messages, acks=-1', () =>
  producer
    .send({
      topic,
      acks: -1,
      messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, headers: { h: 'x' } })),
    })
    .then((r) => r.length),
);
await step('producer.send gzip', () =>
  producer.send({ topic, compression: 1, messages: [{ key: 'gz', value: 'gzipped' }] }).then((r) => r.length),
);
await step('producer.send to a new topic (auto-create)', () =>
  producer.send({ topic: autoTopic, messages: [{ value: 'auto' }] }).then((r) => r.length),
);
await step('auto-created topic has num.partitions=3', () =>
  admin.fetchTopicMetadata({ topics: [autoTopic] }).then((m) => m.topics[0].partitions.length),
);
await step('admin.fetchTopicOffsets', () => admin.fetchTopicOffsets(topic).then((o) => o.map((p) => p.high)));

const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 1000, maxWaitTimeInMs: 500 });
await step('consumer.connect', () => consumer.connect());
await step('consumer.subscribe fromBeginning', () => consumer.subscribe({ topics: [topic], fromBeginning: true }));
const received = [];
await step('consumer group join + receive 31 messages + commitOffsets', () => {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout, got ${received.length}`)), 30000);
    consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        received.push(message.value.toString());
        await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
        if (received.length === 31) {
          clearTimeout(timer);
          resolve(received.length);
        }
      },
    });
  });
});
await step('admin.fetchOffsets (committed)', () =>
  admin.fetchOffsets({ groupId, topics: [topic] }).then((r) => r[0].partitions.map((p) => p.offset)),
);
await step('admin.describeGroups', () =>
  admin.describeGroups([groupId]).then((r) => ({
    state: r.groups[0].state,
    protocolType: r.groups[0].protocolType,
    members: r.groups[0].members.length,
  })),
);
await step('admin.listGroups', () => admin.listGroups().then((r) => r.groups.some((g) => g.groupId === groupId)));
await step('consumer.disconnect', () => consumer.disconnect());
await step('admin.resetOffsets (earliest)', () => admin.resetOffsets({ groupId, topic, earliest: true }));
await step('admin.deleteGroups', () => admin.deleteGroups([groupId]).then((r) => r.map((g) => g.errorCode)));

const txProducer = kafka.producer({ transactionalId: `compat-tx-${suffix}`, idempotent: true, maxInFlightRequests: 1 });
await step('transactional producer: send + commit', async () => {
  await txProducer.connect();
  const tx = await txProducer.transaction();
  await tx.send({ topic, messages: [{ value: 'tx' }] });
  await tx.commit();
  await txProducer.disconnect();
});
await step('admin.createPartitions (3 -> 4)', () => admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] }));
await step('admin.deleteTopics', () => admin.deleteTopics({ topics: [topic, autoTopic], timeout: 10000 }));
await step('topics gone after delete', () => admin.listTopics().then((t) => !t.includes(topic)));
await producer.disconnect();
await admin.disconnect();

for (const r of results) console.log(r.join(' | '));
const failed = results.filter((r) => r[1] !== 'OK').length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
