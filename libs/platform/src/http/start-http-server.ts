import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenFailure } from '../lifecycle/listen-failure.js';

export interface StartHttpServerOptions {
  /** 0 picks any free port. */
  port: number;
  /** Default 127.0.0.1: every interface (0.0.0.0, as containers need) only when configured. */
  host?: string;
  /** How long close() lets in-flight requests finish before cutting connections; default 5000 ms. */
  drainTimeoutMs?: number;
}

export interface RunningHttpServer {
  port: number;
  /** A URL a client on this machine can use (0.0.0.0 is shown as 127.0.0.1). */
  url: string;
  close(): Promise<void>;
}

/** The address to print for a bind address: wildcards are not connectable, loopback is. */
export function connectableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Listens with an express app (or any request listener). `close()` stops accepting, lets
 * in-flight requests finish within the drain timeout, then closes whatever connections remain.
 * A port in use fails with a one-line startup error naming the address.
 */
export async function startHttpServer(
  app: RequestListener,
  options: StartHttpServerOptions,
): Promise<RunningHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer(app);
  // Behind a load balancer with its own idle timeout: keep connections a little longer than it.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(listenFailure('HTTP', host, options.port, error));
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const drainTimeoutMs = options.drainTimeoutMs ?? 5000;
  const inFlight = new Set<ServerResponse>();
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    // A request that slips in on a kept-alive connection while draining is the last on it.
    if (closing && !res.headersSent) res.setHeader('connection', 'close');
  });
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${connectableHost(host)}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
        // Keep-alive connections turn idle as their last response ends; close them as they do,
        // instead of waiting for the keep-alive timeout.
        const sweeper = setInterval(() => server.closeIdleConnections(), 50);
        const timer = setTimeout(() => server.closeAllConnections(), drainTimeoutMs);
        sweeper.unref();
        timer.unref();
        server.close(() => {
          clearInterval(sweeper);
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
