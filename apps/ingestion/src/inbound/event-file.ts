/**
 * The file an `keel.ingest.requested.v1` event may carry instead of text: its bytes (`content`)
 * or where they are (`content_uri`). An event that sets more than one of text, content and
 * content_uri, or whose URI or file name is over its limit, is malformed: a non-retryable error
 * sends it to the dead-letter topic with the reason.
 */
import { createHash } from 'node:crypto';
import type { IngestRequested } from '@keel/contracts/events/v1/documents';
import { validationError } from '@keel/platform';
import type { DocumentContent } from '../indexing/ingest-request.js';

export const EVENT_FILE_LIMITS = { uriLength: 4096, fileNameLength: 512 } as const;

export interface EventFile {
  content?: DocumentContent;
  fileName?: string;
  /** What identifies the file in a derived document or job id ('' without a file). */
  key: string;
}

export function fileOfEvent(payload: Pick<IngestRequested, 'text' | 'content' | 'contentUri' | 'fileName'>): EventFile {
  const carried = [
    payload.text !== '' ? 'text' : '',
    payload.content.length > 0 ? 'content' : '',
    payload.contentUri !== '' ? 'content_uri' : '',
  ].filter((field) => field !== '');
  const invalid: { field: string; message: string }[] = [];
  if (carried.length > 1) {
    invalid.push({
      field: carried[1] as string,
      message: `only one of text, content and content_uri may be set (got ${carried.join(', ')})`,
    });
  }
  if (payload.contentUri.length > EVENT_FILE_LIMITS.uriLength) {
    invalid.push({ field: 'content_uri', message: `must be at most ${EVENT_FILE_LIMITS.uriLength} characters` });
  }
  if (payload.fileName.length > EVENT_FILE_LIMITS.fileNameLength) {
    invalid.push({ field: 'file_name', message: `must be at most ${EVENT_FILE_LIMITS.fileNameLength} characters` });
  }
  if (invalid.length > 0) {
    throw validationError(
      invalid,
      `malformed file reference: ${invalid.map((entry) => `${entry.field}: ${entry.message}`).join('; ')}`,
      'INGEST.INVALID_CONTENT',
    );
  }
  const fileName = payload.fileName !== '' ? { fileName: payload.fileName } : {};
  if (payload.content.length > 0) {
    const bytes = new Uint8Array(payload.content);
    return {
      content: { kind: 'bytes', bytes },
      ...fileName,
      key: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    };
  }
  if (payload.contentUri !== '') {
    return { content: { kind: 'uri', uri: payload.contentUri }, ...fileName, key: `uri:${payload.contentUri}` };
  }
  return { key: '' };
}
