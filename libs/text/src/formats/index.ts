/**
 * `@keel/text/formats`: file parsers (PDF, DOCX, HTML, CSV, JSON Lines, text, Markdown) and
 * content detection. A subpath of its own so that services which never parse files do not load
 * pdf.js, mammoth or linkedom.
 */

export type { PageSpan, ParsedFile, ParsedRecord, TableSpan } from '../parsed-document.js';
export {
  type DetectHints,
  type Detection,
  detectContentType,
  isSupportedMediaType,
  MediaType,
  SUPPORTED_MEDIA_TYPES,
  type SupportedMediaType,
} from './detect.js';
export { DOCX_PARSER_ID } from './docx.js';
export { HTML_PARSER_ID, parseHtml } from './html.js';
export { DEFAULT_FORMAT_LIMITS, type FormatLimits } from './limits.js';
export { type ParseFileOptions, parseFile } from './parse-file.js';
export { FileParser, type FileParserOptions } from './parse-in-worker.js';
export { PDF_PARSER_ID } from './pdf.js';
export { rebaseParsed } from './rebase.js';
export { CSV_PARSER_ID, JSONL_PARSER_ID, type RecordOptions } from './records.js';
export { checkZip, type ZipLimits } from './zip-guard.js';
