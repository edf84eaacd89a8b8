/**
 * Golden data sets over HTTP: upload a version (JSONL, streamed), list data sets, one data set's
 * versions, and a version's rows as JSONL. Scoped to the tenant of the caller's API key; the
 * `reviewed-answers` data set reads reviewers' decisions (only what the key's groups may read).
 */
import {
  type ApiKeyResolver,
  asyncRoute,
  GrpcCode,
  KeelError,
  parsePathParams,
  parseQuery,
  principalOf,
  requireApiKey,
  z,
} from '@keel/platform';
import express from 'express';
import {
  type DatasetReadDeps,
  getDataset,
  listDatasets,
  resolveVersion,
  versionView,
} from '../datasets/dataset-reads.js';
import { uploadDatasetVersion } from '../datasets/upload-dataset-version.js';
import { datasetParams, pageQuery } from './query-params.js';
import { streamLines } from './stream-lines.js';

export interface DatasetRoutesDeps extends DatasetReadDeps {
  apiKeys: ApiKeyResolver;
}

/** Types a JSONL upload may be sent as; JSON itself is refused (the JSON parser would read it whole). */
export const JSONL_CONTENT_TYPES = [
  'application/x-ndjson',
  'application/jsonl',
  'application/json-lines',
  'application/x-jsonlines',
  'text/plain',
  'application/octet-stream',
];

const versionParams = datasetParams.extend({
  version: z
    .string()
    .regex(/^(latest|[1-9][0-9]{0,8})$/, 'a version number (1, 2, ...) or "latest"')
    .transform((version) => (version === 'latest' ? ('latest' as const) : Number(version))),
});

export function datasetRoutes(deps: DatasetRoutesDeps): express.Router {
  const router = express.Router();
  const auth = requireApiKey(deps.apiKeys);

  router.post(
    '/v1/datasets/:datasetId/versions',
    auth,
    asyncRoute(async (req, res) => {
      const { datasetId } = parsePathParams(datasetParams, req.params);
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!JSONL_CONTENT_TYPES.includes(type) || req.body !== undefined) {
        throw new KeelError(
          `send the rows as JSON Lines with Content-Type: application/x-ndjson (received ${type || 'none'})`,
          {
            code: 'HTTP.UNSUPPORTED_MEDIA_TYPE',
            httpStatus: 415,
            grpcCode: GrpcCode.INVALID_ARGUMENT,
            retryable: false,
          },
        );
      }
      const principal = principalOf(res);
      const version = await uploadDatasetVersion(
        deps,
        { tenantId: principal.tenantId, createdBy: principal.name ?? principal.subject },
        datasetId,
        req,
      );
      res
        .status(201)
        .location(`/v1/datasets/${encodeURIComponent(datasetId)}/versions/${version.version}/rows`)
        .json({ datasetId, ...versionView(version) });
    }),
  );

  router.get(
    '/v1/datasets',
    auth,
    asyncRoute(async (req, res) => {
      const query = parseQuery(pageQuery, req.query);
      res.json(
        await listDatasets(deps, principalOf(res), {
          limit: query.limit,
          ...(query.cursor ? { cursor: query.cursor } : {}),
        }),
      );
    }),
  );

  router.get(
    '/v1/datasets/:datasetId',
    auth,
    asyncRoute(async (req, res) => {
      const { datasetId } = parsePathParams(datasetParams, req.params);
      res.json(await getDataset(deps, principalOf(res), datasetId));
    }),
  );

  router.get(
    '/v1/datasets/:datasetId/versions/:version/rows',
    auth,
    asyncRoute(async (req, res) => {
      const { datasetId, version } = parsePathParams(versionParams, req.params);
      const resolved = await resolveVersion(deps, principalOf(res), datasetId, version);
      res.set('x-keel-dataset-version', String(resolved.version));
      if (resolved.rowCount !== null) res.set('x-keel-row-count', String(resolved.rowCount));
      await streamLines(res, lines(resolved.rows()), 'application/x-ndjson', `${datasetId}-${resolved.version}.jsonl`);
    }),
  );

  return router;
}

async function* lines(rows: AsyncGenerator<object>): AsyncGenerator<string> {
  try {
    for await (const row of rows) yield `${JSON.stringify(row)}\n`;
  } finally {
    await rows.return(undefined);
  }
}
