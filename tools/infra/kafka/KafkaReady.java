// Readiness probe for the local Kafka broker, used by tools/infra/infra.sh start.
//
// Why a Java probe and not "is the port open": the TCP port opens before the
// KRaft controller has elected itself and before the broker has caught up with
// the metadata log, so early clients get "leader not available" errors. This
// probe only succeeds once a real Metadata request answers (describeCluster +
// listTopics), and then also waits for the group coordinator to be usable, which
// makes the broker create __consumer_offsets now instead of during the first
// test's first consumer-group join (and likewise for producer ids, see below).
//
// Usage: java -cp '<kafka libs>/*:<probe dir>' KafkaReady <bootstrap> <timeoutSeconds>
// Exit 0 when ready, 1 on timeout (last error printed to stderr).
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class KafkaReady {
  public static void main(String[] args) throws Exception {
    String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:9092";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(args.length > 1 ? Long.parseLong(args[1]) : 60);

    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "keel-infra-ready");
    // Short timeouts so each attempt fails fast and we retry until the deadline.
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
    props.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "100");
    props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");

    Exception last = null;
    try (Admin admin = Admin.create(props)) {
      while (System.nanoTime() < deadline) {
        try {
          int nodes = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size();
          if (nodes == 0) throw new IllegalStateException("metadata has no brokers yet");
          admin.listTopics().names().get(5, TimeUnit.SECONDS);
          // OffsetFetch for a (never used) group goes through FindCoordinator, which
          // fails with COORDINATOR_NOT_AVAILABLE until __consumer_offsets exists and
          // is loaded; for an unknown group the answer is simply an empty map.
          admin.listConsumerGroupOffsets("keel-infra-ready").partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
          warmUpProducerIds(bootstrap);
          System.out.println("kafka ready: " + nodes + " broker(s) at " + bootstrap);
          return;
        } catch (Exception e) {
          last = e;
          Thread.sleep(250);
        }
      }
    }
    System.err.println("kafka not ready at " + bootstrap + ": " + (last == null ? "timeout" : last));
    System.exit(1);
  }

  // The first idempotent or transactional producer otherwise gets retriable
  // COORDINATOR_NOT_AVAILABLE / COORDINATOR_LOAD_IN_PROGRESS answers while the
  // broker creates __transaction_state and fetches its first producer-id block
  // from the controller. Clients retry, but kafkajs logs each retry at ERROR level,
  // which reads like a failure in test output. One initTransactions() here pays
  // that cost up front. The transactional id is new on every start because an
  // existing one only gets its epoch bumped, which would not allocate a producer
  // id after a restart; the idle ids expire on their own
  // (transactional.id.expiration.ms, 7 days).
  private static void warmUpProducerIds(String bootstrap) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "keel-infra-ready");
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "keel-infra-ready-" + System.currentTimeMillis());
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.initTransactions();
    }
  }
}
