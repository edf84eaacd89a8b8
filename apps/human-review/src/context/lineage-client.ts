/**
 * The answer lineage, asked of evaluation (`GET /v1/lineage/answers/:requestId`) on behalf of a
 * reviewer. Evaluation scopes it by the API key's tenant, so each tenant has its own key
 * (`EVALUATION_API_KEYS`); a reviewer only gets here for an item they may read, and evaluation
 * checks read access once more with that key's groups.
 */
import { type KeelError, notFound, unavailable } from '@keel/platform';

export const LineageErrorCode = {
  unavailable: 'LINEAGE.UNAVAILABLE',
  notFound: 'LINEAGE.NOT_FOUND',
} as const;

export interface LineageClientOptions {
  /** Evaluation's HTTP base URL; undefined: lineage is not configured. */
  baseUrl: string | undefined;
  /** Tenant → evaluation API key of that tenant. */
  apiKeys: ReadonlyMap<string, string>;
  timeoutMs: number;
  /** Tests replace it. */
  fetch?: typeof fetch;
}

export interface LineageClient {
  /** The lineage view as evaluation answers it; 404 `LINEAGE.NOT_FOUND`, 503 `LINEAGE.UNAVAILABLE`. */
  answerLineage(tenantId: string, requestId: string): Promise<unknown>;
}

/** Three seconds: a console waits on it, and evaluation answers from one indexed query. */
export const LINEAGE_TIMEOUT_MS = 3_000;

export function createLineageClient(options: LineageClientOptions): LineageClient {
  const fetchFn = options.fetch ?? fetch;
  const base = options.baseUrl?.replace(/\/+$/, '');
  return {
    async answerLineage(tenantId, requestId) {
      const key = options.apiKeys.get(tenantId);
      if (!base || !key) {
        throw lineageUnavailable(
          !base
            ? 'EVALUATION_URL is not set'
            : `EVALUATION_API_KEYS has no key for tenant ${tenantId} (add ${tenantId}=<evaluation API key>)`,
        );
      }
      if (!requestId) throw notFound(`lineage of this item (it has no request id)`, LineageErrorCode.notFound);
      let response: Response;
      try {
        response = await fetchFn(`${base}/v1/lineage/answers/${encodeURIComponent(requestId)}`, {
          headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        const timedOut = (error as Error).name === 'TimeoutError';
        throw lineageUnavailable(
          timedOut ? `evaluation did not answer within ${options.timeoutMs} ms` : (error as Error).message,
          error,
        );
      }
      if (response.status === 404) {
        await response.body?.cancel();
        throw notFound(`lineage of request ${requestId}`, LineageErrorCode.notFound);
      }
      if (!response.ok) {
        // 401/403 here are our misconfiguration (a wrong key), not the reviewer's: unavailable, not a 4xx of theirs.
        const detail = (await response.text().catch(() => '')).slice(0, 500);
        throw lineageUnavailable(`evaluation answered ${response.status}${detail ? `: ${detail}` : ''}`);
      }
      try {
        return await response.json();
      } catch (error) {
        throw lineageUnavailable(`evaluation answered with a body that is not JSON`, error);
      }
    },
  };
}

function lineageUnavailable(detail: string, cause?: unknown): KeelError {
  return unavailable('evaluation', detail, LineageErrorCode.unavailable, cause);
}

/**
 * `EVALUATION_API_KEYS`: `tenant=key,...`. Throws naming the entry that is not of that form, so a
 * typo fails at start rather than as a 503 on the first click.
 */
export function parseEvaluationApiKeys(value: string | undefined): Map<string, string> {
  const keys = new Map<string, string>();
  for (const entry of (value ?? '').split(',')) {
    const trimmed = entry.trim();
    if (!trimmed) continue;
    const at = trimmed.indexOf('=');
    const tenant = at > 0 ? trimmed.slice(0, at).trim() : '';
    const key = at > 0 ? trimmed.slice(at + 1).trim() : '';
    if (!tenant || !key) throw new Error(`EVALUATION_API_KEYS: "${maskedEntry(trimmed)}" is not tenant=key`);
    if (keys.has(tenant)) throw new Error(`EVALUATION_API_KEYS: tenant ${tenant} is given twice`);
    keys.set(tenant, key);
  }
  return keys;
}

/** Never echo a key into a log: the tenant part and the key's length. */
function maskedEntry(entry: string): string {
  const at = entry.indexOf('=');
  return at < 0 ? `<${entry.length} characters>` : `${entry.slice(0, at)}=<${entry.length - at - 1} characters>`;
}
