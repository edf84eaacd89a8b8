/**
 * The second floor of the overhead benchmark: the least an express gateway that reads what it
 * forwards does. express 5 with its JSON body parser, the body serialised again for a node:http
 * keep-alive request to the upstream, the upstream's JSON parsed and answered with `res.json`; no
 * auth, limits, events or tracing. Keel's HTTP services are express apps, so Keel cannot add less
 * than this. Prints `{"url": ...}` once listening.
 */
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

const upstream = new URL(process.argv[2] ?? '');
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use(express.json({ limit: '1mb' }));
app.post('/v1/chat/completions', (req, res) => {
  const body = JSON.stringify(req.body);
  const outbound = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: 'POST',
      path: req.url,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        authorization: req.get('authorization') ?? '',
      },
      agent,
    },
    (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        res.status(response.statusCode ?? 502).json(JSON.parse(Buffer.concat(chunks).toString('utf8'))),
      );
    },
  );
  outbound.on('error', (error) => res.status(502).json({ error: { message: error.message } }));
  outbound.end(body);
});

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
server.keepAliveTimeout = 60_000;
process.on('SIGTERM', () => server.close(() => process.exit(0)));
