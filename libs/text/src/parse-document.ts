import { TextError, TextErrorCode } from './errors.js';
import { markdownSections } from './markdown/markdown-sections.js';
import { markdownTables } from './markdown/markdown-tables.js';
import { normaliseText } from './normalise-text.js';
import type { ParsedDocument } from './parsed-document.js';

export interface ParseInput {
  text: string;
  /** A media type, parameters allowed (`text/markdown; charset=utf-8`). */
  contentType: string;
}

interface Parser {
  id: string;
  sections(text: string): ParsedDocument['sections'];
  tables?(text: string): NonNullable<ParsedDocument['tables']>;
}

const plainText: Parser = {
  id: 'plain-text-v1',
  sections: (text) => [{ heading: [], start: 0, end: text.length }],
};

const markdown: Parser = { id: 'markdown-remark-v1', sections: markdownSections, tables: markdownTables };

const parsers: ReadonlyMap<string, Parser> = new Map([
  ['text/plain', plainText],
  ['text/markdown', markdown],
  ['text/x-markdown', markdown],
]);

export const supportedContentTypes: readonly string[] = [...parsers.keys()];

/**
 * Normalises the text (see `normaliseText`) and finds its sections. Throws a `TextError`:
 * `PARSE.UNSUPPORTED_CONTENT_TYPE` for other media types, `PARSE.EMPTY_DOCUMENT` for text
 * that is empty or only whitespace; neither is retryable.
 */
export function parseDocument(input: ParseInput): ParsedDocument {
  const mediaType = input.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const parser = parsers.get(mediaType);
  if (!parser) {
    throw new TextError(
      TextErrorCode.UnsupportedContentType,
      `content type "${input.contentType}" is not supported; supported: ${supportedContentTypes.join(', ')}`,
    );
  }
  const text = normaliseText(input.text);
  if (text.trim() === '') {
    throw new TextError(TextErrorCode.EmptyDocument, 'the document has no text');
  }
  const parsed: ParsedDocument = { text, parser: parser.id, sections: parser.sections(text) };
  const tables = parser.tables?.(text) ?? [];
  if (tables.length > 0) parsed.tables = tables;
  return parsed;
}
