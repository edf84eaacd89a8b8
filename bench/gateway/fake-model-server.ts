/**
 * The zero-delay upstream every gateway in the overhead benchmark calls: Keel's fake model server
 * (the real OpenAI wire format), in its own process so that the load generator, the gateways and
 * the upstream do not share an event loop. Prints `{"url": ...}` once listening.
 */
import { startFakeUpstream } from '@keel/models/testing';

const upstream = await startFakeUpstream({ models: ['fake-small'] });
// The fake records every request for tests; a benchmark sends hundreds of thousands.
setInterval(() => {
  upstream.requests.length = 0;
}, 1_000).unref();
process.stdout.write(`${JSON.stringify({ url: upstream.url })}\n`);
process.on('SIGTERM', () => {
  void upstream.close().finally(() => process.exit(0));
});
