/**
 * Reads a `multipart/form-data` upload with busboy, streamed and bounded: one file part named
 * `file` (at most `maxFileBytes`), and a few small text fields. Every way a body can be wrong is a
 * problem naming the field: 413 past a limit, 400 for a malformed body, a second file or a file
 * under another name. Reading stops at the first error; the connection is closed after the
 * answer so that the rest of an oversize upload is not read.
 */
import { GrpcCode, KeelError, validationError } from '@keel/platform';
import Busboy from 'busboy';
import type { Request } from 'express';

export interface MultipartLimits {
  maxFileBytes: number;
  /** Each text field. */
  maxFieldBytes: number;
  maxFields: number;
}

export interface MultipartUpload {
  file: { bytes: Uint8Array; fileName: string; declaredType: string };
  fields: Record<string, string>;
}

export const FILE_FIELD = 'file';

function tooLarge(field: string, message: string): KeelError {
  return new KeelError(`the upload is too large: ${field}: ${message}`, {
    code: 'HTTP.BODY_TOO_LARGE',
    httpStatus: 413,
    grpcCode: GrpcCode.INVALID_ARGUMENT,
    retryable: false,
    violations: [{ field, message }],
  });
}

function malformed(field: string, message: string, code = 'HTTP.MALFORMED_MULTIPART'): KeelError {
  return validationError([{ field, message }], `invalid upload: ${field}: ${message}`, code);
}

export function readMultipart(req: Request, limits: MultipartLimits): Promise<MultipartUpload> {
  return new Promise((resolve, reject) => {
    let busboy: Busboy.Busboy;
    try {
      busboy = Busboy({
        headers: req.headers,
        limits: {
          fileSize: limits.maxFileBytes,
          files: 1,
          fields: limits.maxFields,
          fieldSize: limits.maxFieldBytes,
          parts: limits.maxFields + 1,
          headerPairs: 100,
        },
      });
    } catch (error) {
      reject(malformed('(body)', `not a readable multipart/form-data body: ${(error as Error).message}`));
      return;
    }
    const fields: Record<string, string> = {};
    let file: MultipartUpload['file'] | undefined;
    let fileDone: Promise<void> = Promise.resolve();
    let failed = false;
    const fail = (error: KeelError) => {
      if (failed) return;
      failed = true;
      req.unpipe(busboy);
      // The rest of the body is not read: the connection closes after the answer.
      req.res?.setHeader('Connection', 'close');
      req.resume();
      reject(error);
    };

    busboy.on('field', (name, value, info) => {
      if (info.nameTruncated) fail(malformed('(body)', 'a field name is too long'));
      else if (info.valueTruncated) fail(tooLarge(name, `must be at most ${limits.maxFieldBytes} bytes`));
      else if (name in fields) fail(malformed(name, 'must be given once'));
      else fields[name] = value;
    });
    busboy.on('file', (name, stream, info) => {
      if (name !== FILE_FIELD) {
        stream.resume();
        fail(malformed(name, `files are accepted only in the "${FILE_FIELD}" field`));
        return;
      }
      const parts: Buffer[] = [];
      fileDone = new Promise((done) => {
        stream.on('data', (part: Buffer) => parts.push(part));
        // A body cut inside the file part errors the part's stream too (after busboy's own error).
        stream.on('error', (error: Error) => {
          fail(malformed('(body)', `not a readable multipart/form-data body: ${error.message}`));
          done();
        });
        stream.on('limit', () => {
          fail(tooLarge(FILE_FIELD, `must be at most ${limits.maxFileBytes} bytes`));
          stream.resume();
        });
        stream.on('close', () => {
          const bytes = Buffer.concat(parts);
          file = {
            bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
            fileName: info.filename ?? '',
            declaredType: info.mimeType ?? '',
          };
          done();
        });
      });
    });
    busboy.on('filesLimit', () => fail(malformed(FILE_FIELD, 'exactly one file may be uploaded')));
    busboy.on('fieldsLimit', () => fail(tooLarge('(body)', `at most ${limits.maxFields} fields are accepted`)));
    busboy.on('partsLimit', () => fail(tooLarge('(body)', `at most ${limits.maxFields + 1} parts are accepted`)));
    busboy.on('error', (error: Error) =>
      fail(malformed('(body)', `not a readable multipart/form-data body: ${error.message}`)),
    );
    busboy.on('close', () => {
      void fileDone.then(() => {
        if (failed) return;
        if (!file) {
          fail(malformed(FILE_FIELD, 'Required: a file part named "file"'));
          return;
        }
        resolve({ file, fields });
      });
    });
    req.on('aborted', () => fail(malformed('(body)', 'the upload was aborted', 'HTTP.REQUEST_ABORTED')));
    req.pipe(busboy);
  });
}
