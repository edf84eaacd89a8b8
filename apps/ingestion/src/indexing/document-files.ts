/**
 * Files in requests: where their bytes come from (an upload kept in the blob store, the event's
 * own bytes, or a URI the consumer may fetch) and their parsing, in a worker thread with limits
 * (`FileParser`). What is the file's fault is a `ContentRejection` or a `TextError` (the job is
 * rejected with its code); an unreachable source is a plain error (retried, then dead-lettered).
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParsedFile } from '@keel/text';
import type { FileParser } from '@keel/text/formats';
import type { BlobStore } from './blob-store.js';
import { BLOB_URI_SCHEME, type IngestRequest } from './ingest-request.js';

export const ContentRejectionCode = {
  /** An uploaded file expired or was deleted before its job ran. */
  missing: 'DOCUMENT.CONTENT_MISSING',
  /** A URI outside INGEST_FILE_ROOT or on a host not in INGEST_FETCH_HOSTS, or of another scheme. */
  forbidden: 'DOCUMENT.CONTENT_URI_FORBIDDEN',
  /** The URI names nothing (no such file, HTTP 404/410). */
  notFound: 'DOCUMENT.CONTENT_NOT_FOUND',
  tooLarge: 'PARSE.TOO_LARGE',
} as const;

export class ContentRejection extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ContentRejection';
  }
}

export interface FetchPolicy {
  /** file:// URIs must resolve (symlinks followed) inside this directory; unset: none are read. */
  fileRoot?: string;
  /** Hosts http(s) URIs may name: exact, or `*.example.com` for its subdomains. Empty: none. */
  hosts: string[];
  maxBytes: number;
  timeoutMs: number;
}

export interface DocumentFiles {
  /** The parsed file of a request that carries `content`. */
  parse(request: IngestRequest): Promise<ParsedFile>;
  /** Drops what was kept for the request (its uploaded blob) once its job is finished. */
  release(request: IngestRequest): Promise<void>;
}

export function createDocumentFiles(deps: { blobs: BlobStore; parser: FileParser; fetch: FetchPolicy }): DocumentFiles {
  async function bytesOf(request: IngestRequest): Promise<{ bytes: Uint8Array; declared?: string }> {
    const content = request.content;
    if (!content) throw new Error('the request carries no file');
    if (content.kind === 'bytes') return { bytes: content.bytes };
    if (content.kind === 'blob') return { bytes: await blob(request.tenantId, content.blobId) };
    return fetchUri(request.tenantId, content.uri);
  }

  async function blob(tenantId: string, blobId: string): Promise<Uint8Array> {
    const bytes = await deps.blobs.get(tenantId, blobId);
    if (!bytes) {
      throw new ContentRejection(
        ContentRejectionCode.missing,
        'the uploaded file is no longer stored (it expired or was deleted)',
      );
    }
    return bytes;
  }

  async function fetchUri(tenantId: string, uri: string): Promise<{ bytes: Uint8Array; declared?: string }> {
    if (uri.startsWith(BLOB_URI_SCHEME)) return { bytes: await blob(tenantId, uri.slice(BLOB_URI_SCHEME.length)) };
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new ContentRejection(ContentRejectionCode.forbidden, `content_uri is not a URI: ${uri.slice(0, 200)}`);
    }
    if (url.protocol === 'file:') return { bytes: await readAllowedFile(url, deps.fetch) };
    if (url.protocol === 'http:' || url.protocol === 'https:') return fetchAllowed(url, deps.fetch);
    throw new ContentRejection(ContentRejectionCode.forbidden, `content_uri scheme ${url.protocol} is not accepted`);
  }

  return {
    async parse(request) {
      const { bytes, declared } = await bytesOf(request);
      return deps.parser.parse(bytes, {
        declared: declared ?? request.contentType,
        ...(request.fileName ? { fileName: request.fileName } : {}),
      });
    },
    async release(request) {
      const content = request.content;
      if (content?.kind === 'blob') await deps.blobs.delete(request.tenantId, content.blobId);
      else if (content?.kind === 'uri' && content.uri.startsWith(BLOB_URI_SCHEME)) {
        await deps.blobs.delete(request.tenantId, content.uri.slice(BLOB_URI_SCHEME.length));
      }
    },
  };
}

async function readAllowedFile(url: URL, policy: FetchPolicy): Promise<Uint8Array> {
  if (!policy.fileRoot) {
    throw new ContentRejection(
      ContentRejectionCode.forbidden,
      'file:// URIs are not accepted (INGEST_FILE_ROOT is unset)',
    );
  }
  let path: string;
  try {
    path = await realpath(fileURLToPath(url));
  } catch {
    throw new ContentRejection(ContentRejectionCode.notFound, `no such file: ${url.pathname.slice(0, 300)}`);
  }
  // Symlinks are resolved first: a link inside the root pointing out of it is refused.
  const root = await realpath(policy.fileRoot);
  const inside = relative(root, path);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
    throw new ContentRejection(ContentRejectionCode.forbidden, 'content_uri is outside INGEST_FILE_ROOT');
  }
  const info = await stat(path);
  if (!info.isFile()) throw new ContentRejection(ContentRejectionCode.notFound, 'content_uri is not a file');
  if (info.size > policy.maxBytes) {
    throw new ContentRejection(
      ContentRejectionCode.tooLarge,
      `the file is ${info.size} bytes; at most ${policy.maxBytes} are accepted`,
    );
  }
  return new Uint8Array(await readFile(path));
}

export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const name = host.toLowerCase();
  return allowed.some((entry) => {
    const pattern = entry.toLowerCase();
    return pattern.startsWith('*.') ? name.endsWith(pattern.slice(1)) : name === pattern;
  });
}

async function fetchAllowed(url: URL, policy: FetchPolicy): Promise<{ bytes: Uint8Array; declared?: string }> {
  if (!hostAllowed(url.hostname, policy.hosts)) {
    throw new ContentRejection(ContentRejectionCode.forbidden, `host ${url.hostname} is not in INGEST_FETCH_HOSTS`);
  }
  // Redirects are refused: one could lead off the allowed hosts.
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(policy.timeoutMs) });
  if (response.status === 404 || response.status === 410) {
    throw new ContentRejection(ContentRejectionCode.notFound, `${url.href} answered ${response.status}`);
  }
  if (!response.ok) {
    // 5xx, 429 and the like may pass: retried by the consumer, then dead-lettered.
    throw new Error(`${url.href} answered ${response.status}`);
  }
  const declaredLength = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declaredLength > policy.maxBytes) {
    await response.body?.cancel();
    throw new ContentRejection(
      ContentRejectionCode.tooLarge,
      `${url.href} is ${declaredLength} bytes; at most ${policy.maxBytes} are accepted`,
    );
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const part of response.body ?? []) {
    size += part.length;
    if (size > policy.maxBytes) {
      throw new ContentRejection(
        ContentRejectionCode.tooLarge,
        `${url.href} is over ${policy.maxBytes} bytes; at most ${policy.maxBytes} are accepted`,
      );
    }
    parts.push(part);
  }
  const declared = response.headers.get('content-type') ?? undefined;
  return { bytes: new Uint8Array(Buffer.concat(parts)), ...(declared ? { declared } : {}) };
}
