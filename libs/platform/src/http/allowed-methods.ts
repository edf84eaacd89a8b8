/**
 * Which methods a path answers to, read from the app's own routing table, so that a wrong
 * method gets 405 with `Allow` instead of a 404 that suggests the path does not exist. Nothing
 * is declared twice: the routes the services mount are the list.
 */
import type { Application } from 'express';

interface RouteLike {
  methods?: Record<string, boolean>;
}

interface LayerLike {
  route?: RouteLike;
  handle?: { stack?: LayerLike[] };
  path?: string;
  match(path: string): boolean;
}

function collect(stack: readonly LayerLike[], path: string, into: Set<string>): void {
  for (const layer of stack) {
    let matched: boolean;
    try {
      matched = layer.match(path);
    } catch {
      // A path segment that is not valid percent-encoding matches nothing here.
      matched = false;
    }
    if (!matched) continue;
    if (layer.route) {
      for (const [method, on] of Object.entries(layer.route.methods ?? {})) {
        if (on && method !== '_all') into.add(method.toUpperCase());
      }
    } else if (layer.handle?.stack) {
      const mountedAt = layer.path ?? '';
      collect(layer.handle.stack, path.slice(mountedAt.length) || '/', into);
    }
  }
}

/** The methods routed for `path`, sorted, with HEAD wherever GET is (express answers HEAD with GET). */
export function allowedMethodsOf(app: Application, path: string): string[] {
  const router = (app as unknown as { router?: { stack?: LayerLike[] } }).router;
  const methods = new Set<string>();
  collect(router?.stack ?? [], path, methods);
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}
