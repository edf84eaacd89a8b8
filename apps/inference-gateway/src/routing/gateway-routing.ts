/**
 * The gateway's routing, assembled: the routing file named by `KEEL_GATEWAY_CONFIG` (when set)
 * over the providers of the conventional variables, the providers' model lists, the router, and
 * the watch that reloads the file. At start an invalid or unreadable file fails the start with
 * the line and the reason; later, an invalid version is logged with its line and reason and the
 * version already serving stays. Without a file and without provider variables there is nothing
 * to route (only the built-in model serves).
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from '@keel/platform';
import { createProviderRegistry } from '../models/provider-registry.js';
import { type BreakerBoard, createBreakerBoard } from './circuit-breaker.js';
import { createModelRouter, listedProvidersOf, type ModelRouter } from './model-router.js';
import { RoutingFileError, readRoutingFile } from './routing-file.js';
import { contentHash, watchFile } from './routing-file-watcher.js';
import {
  buildRoutingTable,
  type EnvironmentProvider,
  type ModelCallDefaults,
  type ProviderFactory,
  type RoutingTable,
} from './routing-table.js';

export interface GatewayRoutingOptions {
  /** `KEEL_GATEWAY_CONFIG`. */
  file: string | undefined;
  environmentProviders: readonly EnvironmentProvider[];
  defaults: ModelCallDefaults;
  /** Reads a variable named by `apiKeyEnv`; its value never reaches a log or an error. */
  readSecret: (name: string) => string | undefined;
  createProvider: ProviderFactory;
  modelsRefreshMs: number;
  logger: Logger;
  /** The file watch: debounce of change events, and the poll (default 250 ms, 30 s). */
  watch?: { debounceMs?: number; pollMs?: number };
  breakers?: BreakerBoard;
}

export interface GatewayRouting extends ModelRouter {
  /** Re-reads the file now (what the watch does on a change); resolves when applied or rejected. */
  reload(): Promise<void>;
}

const variable = 'KEEL_GATEWAY_CONFIG';

export async function createGatewayRouting(options: GatewayRoutingOptions): Promise<GatewayRouting | undefined> {
  const { file, logger } = options;
  if (!file && options.environmentProviders.length === 0) return undefined;

  const tableOf = (text: string | undefined, hash: string | undefined): RoutingTable => {
    const parsed =
      text === undefined
        ? undefined
        : readRoutingFile(text, {
            source: file ?? variable,
            environmentProviders: options.environmentProviders,
            isSecretSet: (name) => !!options.readSecret(name),
          });
    return buildRoutingTable({
      file: parsed,
      version: hash ? hash.slice(0, 12) : 'env',
      environmentProviders: options.environmentProviders,
      defaults: options.defaults,
      readSecret: options.readSecret,
      createProvider: options.createProvider,
    });
  };

  let text: string | undefined;
  if (file) {
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new Error(`${variable}: cannot read ${file} (${code})`);
    }
  }
  const initialHash = text === undefined ? undefined : contentHash(text);
  let table: RoutingTable;
  try {
    table = tableOf(text, initialHash);
  } catch (error) {
    if (error instanceof RoutingFileError) throw new Error(`${variable}: ${error.message}`);
    throw error;
  }

  let lastRejection: string | undefined;
  const registry = createProviderRegistry({
    providers: listedProvidersOf(table),
    refreshMs: options.modelsRefreshMs,
    // A provider that does not answer its model list must not hold the start for long; a short
    // per-attempt timeout (tuned for first tokens) must not fail a list read of a busy server.
    listTimeoutMs: Math.min(Math.max(table.retry.attemptTimeoutMs, 2000), 10_000),
    logger,
  });
  const router = createModelRouter({
    table,
    source: file,
    registry,
    breakers:
      options.breakers ??
      createBreakerBoard(Date.now, (endpoint, state) => {
        // The endpoint's provider name only: a base URL may carry more than an operator should log.
        const provider = endpoint.slice(0, endpoint.indexOf('@'));
        if (state === 'open')
          logger.warn({ provider }, 'circuit breaker opened: the endpoint is skipped until a probe succeeds');
        else logger.info({ provider }, 'circuit breaker closed: the endpoint takes traffic again');
      }),
    checks: file
      ? {
          // Always ready: a rejected version leaves the previous one serving; the detail says so.
          'routing-file': async () => {
            const { version, loadedAt } = router.current();
            const open = router.openBreakers();
            const serving = `version ${version} loaded ${loadedAt.toISOString()}${open.length > 0 ? `; circuit open: ${open.join(', ')}` : ''}`;
            return { ok: true, detail: lastRejection ? `${serving}; rejected since: ${lastRejection}` : serving };
          },
        }
      : {},
  });

  async function apply(next: string, hash: string): Promise<void> {
    let nextTable: RoutingTable;
    try {
      nextTable = tableOf(next, hash);
    } catch (error) {
      if (!(error instanceof RoutingFileError)) throw error;
      lastRejection = error.message;
      const [issue] = error.issues;
      logger.error(
        {
          file,
          line: issue?.line,
          column: issue?.column,
          path: issue?.path,
          reason: issue?.reason,
          serving_version: router.current().version,
        },
        `the routing file was not applied, the previous version keeps serving: ${error.message}`,
      );
      return;
    }
    await router.apply(nextTable, file);
    lastRejection = undefined;
    logger.info({ file, version: nextTable.version }, 'the routing file was reloaded');
  }

  const watcher = file
    ? watchFile({
        path: file,
        initialHash: initialHash ?? '',
        onChange: apply,
        onError: (error) =>
          logger.warn(
            { file, reason: (error as NodeJS.ErrnoException).code ?? String(error) },
            'the routing file could not be read',
          ),
        ...options.watch,
      })
    : undefined;

  return {
    ...router,
    reload: async () => watcher?.check(),
    stop() {
      watcher?.close();
      router.stop();
    },
  };
}
