import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Readiness } from '../health/readiness.js';
import type { Logger } from '../logging/create-logger.js';
import { notFoundHandler, problemErrorHandler } from './error-handler.js';
import { jsonBodies, requestContext } from './request-context.js';

export interface CreateHttpAppOptions {
  serviceName: string;
  logger: Logger;
  readiness: Readiness;
  /** Largest JSON body accepted, in the `bytes` syntax (`1mb`, `512kb`); default `1mb`. */
  bodyLimit?: string;
}

/** What finishHttpApp needs later, kept on the app itself. */
const kitKey = 'keelPlatform';
interface KitSettings {
  logger: Logger;
}

/**
 * An express 5 app with the service basics in place: request ids, a server span per request
 * (continuing the caller's W3C trace), request logging, the JSON body parser, `GET /healthz`
 * (liveness: 200 while the process runs) and `GET /readyz` (200, or 503 with the failing
 * checks). Mount the routes, then call finishHttpApp.
 */
export function createHttpApp(options: CreateHttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // A weak ETag hashes every JSON body, and no client of these APIs revalidates: answers are
  // never the same twice and reads carry their own versions.
  app.disable('etag');
  app.locals[kitKey] = { logger: options.logger } satisfies KitSettings;

  app.use(requestContext(options.serviceName, options.logger));
  // Not strict: `null` or `"text"` are valid JSON, and parseBody answers "must be an object" for them.
  app.use(
    express.json({
      limit: options.bodyLimit ?? '1mb',
      type: jsonBodies,
      strict: false,
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: options.serviceName });
  });
  app.get('/readyz', async (_req, res) => {
    const report = await options.readiness.report();
    res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'not ready', checks: report.checks });
  });
  return app;
}

/**
 * Closes the app: unmatched routes become 405 (the path exists under other methods) or 404
 * problems, and every error (KeelError, malformed JSON or path, a body over the limit, a bug)
 * becomes an `application/problem+json` response. `errorHandlers` (an API with its own error
 * shape, such as OpenAI's) see every error first, those of unmatched routes included.
 */
export function finishHttpApp(app: Express, errorHandlers: readonly ErrorRequestHandler[] = []): void {
  const settings = app.locals[kitKey] as KitSettings | undefined;
  if (!settings) throw new Error('finishHttpApp expects an app made by createHttpApp');
  app.use(notFoundHandler());
  for (const handler of errorHandlers) app.use(handler);
  app.use(problemErrorHandler(settings.logger));
}
