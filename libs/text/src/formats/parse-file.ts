/**
 * One entry for every format: detect the type from the bytes, check the limits, parse. Runs in
 * the calling thread; `FileParser` (parse-in-worker.ts) runs it in a worker with a time limit,
 * which is what services use.
 */
import { TextError, TextErrorCode } from '../errors.js';
import { parseDocument } from '../parse-document.js';
import type { ParsedFile } from '../parsed-document.js';
import { type DetectHints, decodeText, detectContentType, MediaType } from './detect.js';
import { parseDocx } from './docx.js';
import { parseHtml } from './html.js';
import { DEFAULT_FORMAT_LIMITS, type FormatLimits } from './limits.js';
import { parsePdf } from './pdf.js';
import { parseCsvRecords, parseJsonLines, type RecordOptions } from './records.js';

export interface ParseFileOptions extends DetectHints {
  /** CSV and JSON Lines: which fields make the text, the metadata and the id. */
  records?: RecordOptions;
}

export async function parseFile(
  bytes: Uint8Array,
  options: ParseFileOptions = {},
  limits: FormatLimits = DEFAULT_FORMAT_LIMITS,
): Promise<ParsedFile> {
  if (bytes.length > limits.maxBytes) {
    throw new TextError(
      TextErrorCode.DocumentTooLarge,
      `the file is ${bytes.length} bytes; at most ${limits.maxBytes} are accepted`,
    );
  }
  if (bytes.length === 0) throw new TextError(TextErrorCode.EmptyDocument, 'the file is empty');
  const detected = detectContentType(bytes, options);
  if (!detected.supported) {
    throw new TextError(
      TextErrorCode.UnsupportedContentType,
      `the bytes are ${detected.mediaType}, which is not supported`,
    );
  }
  const contentType = detected.mediaType;
  const parsed = await parseDetected(bytes, contentType, detected.encoding, options, limits);
  if (parsed.text.trim() === '') throw new TextError(TextErrorCode.EmptyDocument, 'the document has no text');
  return { ...parsed, contentType };
}

async function parseDetected(
  bytes: Uint8Array,
  contentType: string,
  encoding: Parameters<typeof decodeText>[1] | undefined,
  options: ParseFileOptions,
  limits: FormatLimits,
): Promise<Omit<ParsedFile, 'contentType'>> {
  if (contentType === MediaType.pdf) return parsePdf(bytes, { maxPages: limits.maxPdfPages });
  if (contentType === MediaType.docx) {
    return parseDocx(bytes, { maxEntries: limits.maxZipEntries, maxUncompressedBytes: limits.maxUncompressedBytes });
  }
  const text = decodeText(bytes, encoding ?? 'utf-8');
  if (contentType === MediaType.html) return parseHtml(text);
  if (contentType === MediaType.csv) return parseCsvRecords(text, options.records ?? {}, limits);
  if (contentType === MediaType.jsonl) return parseJsonLines(text, options.records ?? {}, limits);
  return parseDocument({ text, contentType });
}
