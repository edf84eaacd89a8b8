/**
 * Golden rows as the CLI reads them: from a local JSONL file, or a data set version of the
 * evaluation service (`GET /v1/datasets/:id/versions/:v/rows`, streamed). Either way one line at a
 * time: a run never holds the data set.
 *
 * A local file is checked in a first pass (also counting the rows, for the progress bar) with the
 * rules of the service's upload (`{ question, reference_answer?, relevant_document_ids?, tags?,
 * id? }`, nothing else), so a bad line stops the run before any question is asked, naming the line.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';

export interface GoldenRow {
  id: string;
  question: string;
  reference_answer?: string;
  relevant_document_ids?: string[];
  tags?: string[];
}

export interface NumberedRow {
  /** 1-based position in the data set (the line number of a local file). */
  index: number;
  row: GoldenRow;
}

/** A row the CLI cannot run: its line and why. */
export class RowError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

const FIELDS = new Set(['id', 'question', 'reference_answer', 'relevant_document_ids', 'tags']);
const MAX_QUESTION = 4096;

const isStringList = (value: unknown) =>
  Array.isArray(value) && value.every((item) => typeof item === 'string' && item.length > 0);

export function parseRow(text: string, line: number): GoldenRow {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RowError(line, `not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new RowError(line, 'must be a JSON object');
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) throw new RowError(line, `unknown field ${unknown.map((key) => `"${key}"`).join(', ')}`);
  if (typeof record.question !== 'string' || record.question.trim().length === 0) {
    throw new RowError(line, 'question: must be a non-empty string');
  }
  if (record.question.length > MAX_QUESTION) throw new RowError(line, `question: at most ${MAX_QUESTION} characters`);
  if (record.id !== undefined && (typeof record.id !== 'string' || record.id.length === 0)) {
    throw new RowError(line, 'id: must be a non-empty string');
  }
  if (record.reference_answer !== undefined && typeof record.reference_answer !== 'string') {
    throw new RowError(line, 'reference_answer: must be a string');
  }
  for (const field of ['relevant_document_ids', 'tags'] as const) {
    if (record[field] !== undefined && !isStringList(record[field])) {
      throw new RowError(line, `${field}: must be a list of non-empty strings`);
    }
  }
  return { ...(record as Omit<GoldenRow, 'id'>), id: (record.id as string | undefined) ?? `line-${line}` };
}

export function matchesTags(row: GoldenRow, tags: readonly string[]): boolean {
  return tags.length === 0 || (row.tags ?? []).some((tag) => tags.includes(tag));
}

async function* numberedLines(input: Readable): AsyncGenerator<{ number: number; text: string }> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  try {
    for await (const text of lines) {
      number++;
      const trimmed = number === 1 ? text.replace(/^\ufeff/, '') : text;
      if (trimmed.trim().length > 0) yield { number, text: trimmed };
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

/** First pass over a local file: every line valid, ids unique; the number of rows the tags select. */
export async function checkFile(path: string, tags: readonly string[]): Promise<number> {
  const ids = new Map<string, number>();
  let selected = 0;
  for await (const line of numberedLines(createReadStream(path))) {
    const row = parseRow(line.text, line.number);
    const seen = ids.get(row.id);
    if (seen !== undefined) throw new RowError(line.number, `id "${row.id}" repeats line ${seen}`);
    ids.set(row.id, line.number);
    if (matchesTags(row, tags)) selected++;
  }
  return selected;
}

export async function* fileRows(path: string, tags: readonly string[]): AsyncGenerator<NumberedRow> {
  for await (const line of numberedLines(createReadStream(path))) {
    const row = parseRow(line.text, line.number);
    if (matchesTags(row, tags)) yield { index: line.number, row };
  }
}

/** The rows of a response body of the rows endpoint; the service checked them when they were uploaded. */
export async function* responseRows(
  body: ReadableStream<Uint8Array>,
  tags: readonly string[],
): AsyncGenerator<NumberedRow> {
  let index = 0;
  for await (const line of numberedLines(Readable.fromWeb(body as import('node:stream/web').ReadableStream))) {
    index++;
    const row = parseRow(line.text, line.number);
    if (matchesTags(row, tags)) yield { index, row };
  }
}
