/**
 * Builds a ParsedDocument block by block, so that the offsets of sections, pages and tables are
 * known as the text is written instead of being searched for afterwards. Blocks are separated by
 * a blank line; headings, list items and table rows are written in Markdown form, so a chunk of
 * an HTML page or a Word file reads like a chunk of a Markdown file.
 */
import type { DocumentSection, PageSpan, ParsedDocument, TableSpan } from '../parsed-document.js';

/** One line of inline text: whitespace runs (including line breaks) become one space. */
export function inlineText(raw: string): string {
  return raw
    .normalize('NFC')
    .replace(/[\s\u00a0]+/g, ' ')
    .trim();
}

/** Text whose line breaks matter (preformatted, a PDF page): only `\r` and trailing spaces go. */
export function blockText(raw: string): string {
  return raw
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t\u00a0]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/^\uFEFF/, '')
    .trim();
}

export class TextBuilder {
  private readonly parts: string[] = [];
  private length = 0;
  private readonly sections: DocumentSection[] = [];
  private readonly pages: PageSpan[] = [];
  private readonly tables: TableSpan[] = [];
  private readonly headings: { level: number; title: string }[] = [];
  private sectionStart = 0;
  private pageStart: { page: number; start: number } | undefined;
  private inList = false;
  private sectionHasText = false;

  /** Closes the current section and opens one under `title` (`level` 1-6). */
  heading(level: number, rawTitle: string): void {
    const title = inlineText(rawTitle);
    if (title === '') return;
    this.closeSection();
    while (this.headings.length > 0 && (this.headings.at(-1)?.level ?? 0) >= level) this.headings.pop();
    this.headings.push({ level, title });
    this.block(`${'#'.repeat(Math.min(Math.max(level, 1), 6))} ${title}`);
  }

  paragraph(raw: string, preformatted = false): void {
    const text = preformatted ? blockText(raw) : inlineText(raw);
    if (text !== '') this.block(text);
  }

  /** A list item; consecutive items are written on consecutive lines, nested ones indented. */
  listItem(raw: string, marker: string, depth: number): void {
    const text = inlineText(raw);
    if (text === '') return;
    const line = `${'  '.repeat(depth)}${marker} ${text}`;
    if (this.inList) this.write(`\n${line}`);
    else this.block(line);
    this.inList = true;
  }

  /** A table as Markdown pipe rows, the first row as header. Empty rows are dropped. */
  table(rows: string[][]): void {
    const cells = rows
      .map((row) => row.map((cell) => inlineText(cell).replaceAll('|', '\\|')))
      .filter((row) => row.some((cell) => cell !== ''));
    if (cells.length === 0) return;
    const width = Math.max(...cells.map((row) => row.length));
    const line = (row: string[]) => `| ${Array.from({ length: width }, (_, index) => row[index] ?? '').join(' | ')} |`;
    const lines = [line(cells[0] as string[]), `|${' --- |'.repeat(width)}`, ...cells.slice(1).map(line)];
    const start = this.block(lines.join('\n'));
    this.tables.push({ start, end: this.length });
  }

  /** Starts page `page` (1-based); the previous page ends where this one starts. */
  startPage(page: number): void {
    this.closePage();
    this.separate();
    this.pageStart = { page, start: this.length };
  }

  /** Whether anything but whitespace was written. */
  hasText(): boolean {
    return this.sections.length > 0 || this.sectionHasText;
  }

  finish(parser: string): ParsedDocument {
    this.closeSection();
    this.closePage();
    const document: ParsedDocument = { text: this.parts.join(''), parser, sections: this.sections };
    if (this.pages.length > 0) document.pages = this.pages;
    if (this.tables.length > 0) document.tables = this.tables;
    return document;
  }

  /** Writes a block after a blank line; returns where it starts. */
  private block(text: string): number {
    this.separate();
    const start = this.length;
    this.write(text);
    this.inList = false;
    return start;
  }

  private separate(): void {
    if (this.length === 0) return;
    const last = this.parts.at(-1) ?? '';
    if (last.endsWith('\n\n')) return;
    this.write(last.endsWith('\n') ? '\n' : '\n\n');
    this.inList = false;
  }

  private write(text: string): void {
    this.parts.push(text);
    this.length += text.length;
    if (!this.sectionHasText && text.trim() !== '') this.sectionHasText = true;
  }

  /** Sections are contiguous: each runs to where the next heading starts. */
  private closeSection(): void {
    const end = this.length;
    if (this.sectionHasText) {
      this.sections.push({ heading: this.headings.map((entry) => entry.title), start: this.sectionStart, end });
    } else if (this.sections.length > 0) {
      (this.sections.at(-1) as DocumentSection).end = end;
    }
    this.sectionStart = end;
    this.sectionHasText = false;
  }

  private closePage(): void {
    if (!this.pageStart) return;
    this.pages.push({ page: this.pageStart.page, start: this.pageStart.start, end: this.length });
    this.pageStart = undefined;
  }
}
