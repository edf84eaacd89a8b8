import type { Heading, Root } from 'mdast';
import { toString as headingText } from 'mdast-util-to-string';
import remarkParse from 'remark-parse';
import { unified } from 'unified';
import type { DocumentSection } from '../parsed-document.js';

const markdownParser = unified().use(remarkParse);

/**
 * Sections of a Markdown document from the positions of its top-level headings. The text
 * itself is never rewritten (no Markdown-to-text conversion), so offsets of chunks and
 * citations point into what the author wrote. Headings nested in block quotes or list items
 * are content, not structure, and do not open sections.
 */
export function markdownSections(text: string): DocumentSection[] {
  const root = markdownParser.parse(text) as Root;
  const sections: DocumentSection[] = [];
  const open: { depth: number; title: string }[] = [];
  let path: string[] = [];
  let cursor = 0;

  const close = (end: number) => {
    if (text.slice(cursor, end).trim() !== '') sections.push({ heading: path, start: cursor, end });
  };

  for (const node of root.children) {
    if (node.type !== 'heading') continue;
    const start = node.position?.start.offset;
    if (start === undefined) continue;
    close(start);
    const heading = node as Heading;
    while (open.length > 0 && (open.at(-1)?.depth ?? 0) >= heading.depth) open.pop();
    open.push({ depth: heading.depth, title: headingText(heading).replace(/\s+/g, ' ').trim() });
    path = open.map((entry) => entry.title);
    cursor = start;
  }
  close(text.length);
  return sections;
}
