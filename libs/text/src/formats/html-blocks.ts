/**
 * Walks a DOM (linkedom) into a TextBuilder: headings open sections, lists and tables keep their
 * shape, everything else becomes paragraphs. Shared by the HTML parser (after Readability) and
 * the DOCX parser (mammoth's HTML).
 */
import { inlineText, type TextBuilder } from './text-builder.js';

// Structural types only: linkedom's own typings are DOM-lib typings this package does not load.
export interface DomNode {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
  getAttribute?(name: string): string | null;
}

/** Set on headings before Readability, which renames every h1 to h2, so the outline survives it. */
export const HEADING_LEVEL_ATTRIBUTE = 'data-keel-level';

const ELEMENT = 1;
const TEXT = 3;

const SKIPPED = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'SVG', 'CANVAS', 'IFRAME', 'OBJECT', 'HEAD']);

const BLOCKS = new Set([
  'ADDRESS',
  'ARTICLE',
  'ASIDE',
  'BLOCKQUOTE',
  'BODY',
  'DD',
  'DETAILS',
  'DIALOG',
  'DIV',
  'DL',
  'DT',
  'FIELDSET',
  'FIGCAPTION',
  'FIGURE',
  'FOOTER',
  'FORM',
  'HEADER',
  'HR',
  'HTML',
  'LI',
  'MAIN',
  'NAV',
  'OL',
  'P',
  'PRE',
  'SECTION',
  'SUMMARY',
  'TABLE',
  'UL',
  'H1',
  'H2',
  'H3',
  'H4',
  'H5',
  'H6',
]);

/** Emits the blocks under `root` into `builder`. */
export function writeHtmlBlocks(root: DomNode, builder: TextBuilder): void {
  new Walker(builder).block(root, 0);
}

const MAX_DEPTH = 512;

// Source line breaks are only whitespace in HTML; a <br> is a real one.
const LINE_BREAK = '\u2028';

class Walker {
  private inline: string[] = [];

  constructor(private readonly builder: TextBuilder) {}

  block(node: DomNode, depth: number): void {
    // A pathological nesting depth is flattened instead of overflowing the stack.
    if (depth > MAX_DEPTH) {
      this.inline.push(node.textContent ?? '');
      return;
    }
    for (const child of Array.from(node.childNodes)) this.node(child, depth + 1);
    this.flush();
  }

  private node(node: DomNode, depth: number): void {
    if (node.nodeType === TEXT) {
      this.inline.push(node.textContent ?? '');
      return;
    }
    if (node.nodeType !== ELEMENT) return;
    const name = node.nodeName.toUpperCase();
    if (SKIPPED.has(name)) return;
    if (name === 'BR') {
      this.inline.push(LINE_BREAK);
      return;
    }
    if (!BLOCKS.has(name)) {
      for (const child of Array.from(node.childNodes)) this.node(child, depth + 1);
      return;
    }
    this.flush();
    const heading = /^H([1-6])$/.exec(name);
    if (heading) this.builder.heading(headingLevel(node, Number(heading[1])), node.textContent ?? '');
    else if (name === 'PRE') this.builder.paragraph(node.textContent ?? '', true);
    else if (name === 'UL' || name === 'OL') this.list(node, name === 'OL', 0, depth);
    else if (name === 'TABLE') this.builder.table(tableRows(node));
    else if (name !== 'HR') this.block(node, depth);
  }

  private list(node: DomNode, ordered: boolean, level: number, depth: number): void {
    let number = 0;
    for (const item of Array.from(node.childNodes)) {
      if (item.nodeType !== ELEMENT || item.nodeName.toUpperCase() !== 'LI') continue;
      number += 1;
      const own: string[] = [];
      const nested: { node: DomNode; ordered: boolean }[] = [];
      for (const child of Array.from(item.childNodes)) {
        const childName = child.nodeName.toUpperCase();
        if (child.nodeType === ELEMENT && (childName === 'UL' || childName === 'OL')) {
          nested.push({ node: child, ordered: childName === 'OL' });
        } else if (child.nodeType === ELEMENT && childName === 'TABLE') {
          own.push(
            ` ${tableRows(child)
              .map((row) => row.join(' '))
              .join(' ')} `,
          );
        } else if (child.nodeType === ELEMENT && BLOCKS.has(childName)) {
          own.push(` ${child.textContent ?? ''} `);
        } else if (!(child.nodeType === ELEMENT && SKIPPED.has(childName))) {
          own.push(child.textContent ?? '');
        }
      }
      this.builder.listItem(own.join(''), ordered ? `${number}.` : '-', level);
      for (const sub of nested) {
        if (depth + level < MAX_DEPTH) this.list(sub.node, sub.ordered, level + 1, depth + 1);
      }
    }
  }

  private flush(): void {
    if (this.inline.length === 0) return;
    const text = this.inline.join('');
    this.inline = [];
    const lines = text
      .split(LINE_BREAK)
      .map(inlineText)
      .filter((line) => line !== '');
    this.builder.paragraph(lines.join('\n'), true);
  }
}

function headingLevel(node: DomNode, tagLevel: number): number {
  const kept = Number(node.getAttribute?.(HEADING_LEVEL_ATTRIBUTE));
  return Number.isInteger(kept) && kept >= 1 && kept <= 6 ? kept : tagLevel;
}

/** The rows of a table (through THEAD/TBODY/TFOOT), each a list of cell texts. */
function tableRows(table: DomNode): string[][] {
  const rows: string[][] = [];
  const visit = (node: DomNode) => {
    for (const child of Array.from(node.childNodes)) {
      if (child.nodeType !== ELEMENT) continue;
      const name = child.nodeName.toUpperCase();
      if (name === 'TR') {
        rows.push(
          Array.from(child.childNodes)
            .filter((cell) => cell.nodeType === ELEMENT && /^T[DH]$/i.test(cell.nodeName))
            .map((cell) => cell.textContent ?? ''),
        );
      } else if (name === 'THEAD' || name === 'TBODY' || name === 'TFOOT') {
        visit(child);
      }
    }
  };
  visit(table);
  return rows;
}
