/**
 * CSV and JSON Lines: one record per row. The caller chooses which fields make the text, which
 * become metadata and which one is the record's id; by default every field that is neither
 * metadata nor the id is text, written `field: value` per line (one text field: its value alone).
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { TextError, TextErrorCode } from '../errors.js';
import type { DocumentSection, ParsedRecord } from '../parsed-document.js';

export const CSV_PARSER_ID = 'csv-parse-v1';
export const JSONL_PARSER_ID = 'jsonl-v1';

export interface RecordOptions {
  /** Fields whose values make the text, in this order (default: all but metadata and id). */
  textFields?: string[];
  /** Fields copied to the record's metadata (default: none). */
  metadataFields?: string[];
  /** The field holding the record's id (default: none). */
  idField?: string;
}

export interface RecordLimits {
  maxRecords: number;
}

export interface ParsedRecords {
  text: string;
  parser: string;
  sections: DocumentSection[];
  records: ParsedRecord[];
}

type Row = Record<string, unknown>;

export function parseCsvRecords(text: string, options: RecordOptions, limits: RecordLimits): ParsedRecords {
  let rows: Row[];
  try {
    rows = parseCsv(text, {
      columns: true,
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      // Stops at the limit instead of reading a huge file only to refuse it.
      to: limits.maxRecords + 1,
    }) as Row[];
  } catch (error) {
    throw new TextError(
      TextErrorCode.CorruptDocument,
      `the CSV cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return toRecords(rows, (index) => index + 1, options, limits, CSV_PARSER_ID);
}

export function parseJsonLines(text: string, options: RecordOptions, limits: RecordLimits): ParsedRecords {
  const rows: Row[] = [];
  const lineNumbers: number[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const line = (lines[index] as string).trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new TextError(
        TextErrorCode.CorruptDocument,
        `line ${index + 1} is not JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TextError(TextErrorCode.CorruptDocument, `line ${index + 1} is not a JSON object`);
    }
    rows.push(value as Row);
    lineNumbers.push(index + 1);
    if (rows.length > limits.maxRecords) break;
  }
  return toRecords(rows, (index) => lineNumbers[index] as number, options, limits, JSONL_PARSER_ID);
}

function fieldText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value.normalize('NFC').replace(/\r\n?/g, '\n').trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function toRecords(
  rows: Row[],
  rowNumber: (index: number) => number,
  options: RecordOptions,
  limits: RecordLimits,
  parser: string,
): ParsedRecords {
  if (rows.length > limits.maxRecords) {
    throw new TextError(
      TextErrorCode.DocumentTooLarge,
      `the file has more than ${limits.maxRecords} records; at most ${limits.maxRecords} are accepted`,
    );
  }
  const metadataFields = options.metadataFields ?? [];
  const excluded = new Set([...metadataFields, ...(options.idField ? [options.idField] : [])]);
  const parts: string[] = [];
  let length = 0;
  const records: ParsedRecord[] = [];
  const sections: DocumentSection[] = [];
  rows.forEach((row, index) => {
    const fields = options.textFields ?? Object.keys(row).filter((field) => !excluded.has(field));
    const values = fields.map((field) => [field, fieldText(row[field])] as const).filter(([, value]) => value !== '');
    const text = values.length === 1 ? (values[0]?.[1] ?? '') : values.map(([f, v]) => `${f}: ${v}`).join('\n');
    if (text === '') return;
    const metadata: Record<string, string> = {};
    for (const field of metadataFields) {
      const value = fieldText(row[field]);
      if (value !== '') metadata[field] = value;
    }
    const id = options.idField ? fieldText(row[options.idField]) : '';
    if (parts.length > 0) {
      parts.push('\n\n');
      length += 2;
    }
    const start = length;
    parts.push(text);
    length += text.length;
    const record: ParsedRecord = { row: rowNumber(index), text, metadata, start, end: length };
    if (id !== '') record.id = id;
    records.push(record);
    sections.push({ heading: [id !== '' ? id : `row ${record.row}`], start, end: length });
  });
  if (records.length === 0) throw new TextError(TextErrorCode.EmptyDocument, 'the file has no record with text');
  return { text: parts.join(''), parser, sections, records };
}
