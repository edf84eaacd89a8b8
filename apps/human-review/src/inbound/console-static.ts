/**
 * Serves the reviewer console (apps/review-console's build) at `/`, same origin as the API so the
 * session cookie can be SameSite=Strict and no CORS is needed. Hashed files under `/assets/` are
 * cached for a year; `index.html` is revalidated every time, so a new build is picked up at once.
 * Any other GET that asks for HTML and is not the API or a health check gets `index.html`, so the
 * console's own routes (`/queues/default`) survive a reload. Before the console is built, those
 * pages answer 503 `CONSOLE.NOT_BUILT` saying how to build it.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { GrpcCode, KeelError } from '@keel/platform';
import express from 'express';

export const CONSOLE_BUILD_COMMAND = 'npx nx run review-console:build';

/** Scripts, styles, images, frames and forms only from this origin; never framed (clickjacking). */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function setHtmlHeaders(res: express.Response): void {
  res.set({
    'cache-control': 'no-cache',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'same-origin',
  });
}

function notBuilt(dir: string): KeelError {
  return new KeelError('the reviewer console is not built', {
    code: 'CONSOLE.NOT_BUILT',
    httpStatus: 503,
    grpcCode: GrpcCode.UNAVAILABLE,
    retryable: true,
    detail: `the reviewer console is not built: run \`${CONSOLE_BUILD_COMMAND}\` (it writes ${dir}), or set REVIEW_CONSOLE_DIR to a build`,
  });
}

/** Paths that are never the console's: the API and the health checks keep their own 404s. */
const notConsole = /^\/(v1|healthz|readyz)(\/|$)/;

async function hasIndex(dir: string): Promise<boolean> {
  try {
    return (await stat(join(dir, 'index.html'))).isFile();
  } catch {
    return false;
  }
}

export function consoleRoutes(options: { dir: string }): express.Router {
  const { dir } = options;
  const router = express.Router();
  const assets = express.static(dir, {
    index: false,
    // Missing files fall through to the SPA fallback, then to the kit's 404.
    fallthrough: true,
    setHeaders(res, path) {
      res.setHeader('x-content-type-options', 'nosniff');
      if (path.endsWith('.html')) setHtmlHeaders(res as unknown as express.Response);
      else if (path.startsWith(join(dir, 'assets')))
        res.setHeader('cache-control', 'public, max-age=31536000, immutable');
    },
  });

  router.use((req, res, next) => {
    if (notConsole.test(req.path)) {
      next();
      return;
    }
    assets(req, res, next);
  });

  router.use((req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || notConsole.test(req.path)) {
      next();
      return;
    }
    // `/` always means the console; elsewhere only a browser navigation (which asks for
    // text/html by name) does, so a missing script or image still answers 404, not a page.
    if (req.path !== '/' && !(req.get('accept') ?? '').includes('text/html')) {
      next();
      return;
    }
    if (req.path !== '/' && /^\/assets\//.test(req.path)) {
      next();
      return;
    }
    hasIndex(dir).then((built) => {
      if (!built) {
        next(notBuilt(dir));
        return;
      }
      setHtmlHeaders(res);
      res.sendFile('index.html', { root: dir, lastModified: true }, (error) => {
        if (error) next(error);
      });
    }, next);
  });

  return router;
}
