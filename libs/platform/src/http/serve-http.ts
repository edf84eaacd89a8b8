import type { ErrorRequestHandler, RequestHandler } from 'express';
import { type CreateHttpAppOptions, createHttpApp, finishHttpApp } from './create-http-app.js';
import { type RunningHttpServer, type StartHttpServerOptions, startHttpServer } from './start-http-server.js';

export interface ServeHttpOptions extends CreateHttpAppOptions, StartHttpServerOptions {
  /** Routers and middleware, mounted in order between the kit's own and its final 404/error handlers. */
  handlers?: (RequestHandler | ErrorRequestHandler)[];
  /** Error handlers with an API's own error shape, run before the problem+json one (404 and 405 included). */
  errorHandlers?: ErrorRequestHandler[];
}

/**
 * A service's whole HTTP surface in one call: the kit's app (health, readiness, tracing, body
 * parsing), the service's handlers, then the problem+json 404 and error handlers, listening.
 * Nothing can be mounted after the error handler by mistake.
 */
export function serveHttp(options: ServeHttpOptions): Promise<RunningHttpServer> {
  const { handlers = [], errorHandlers = [], port, host, drainTimeoutMs, ...appOptions } = options;
  const app = createHttpApp(appOptions);
  for (const handler of handlers) app.use(handler);
  finishHttpApp(app, errorHandlers);
  return startHttpServer(app, { port, host, drainTimeoutMs });
}
