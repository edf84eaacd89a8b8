/**
 * HTML: Readability (Firefox's reader view) keeps the article and drops navigation, footers and
 * other boilerplate; linkedom is the DOM (8x faster than jsdom here, see LIBRARIES.md). A page
 * Readability finds no article in is read whole, minus the usual boilerplate elements.
 */
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import type { ParsedDocument } from '../parsed-document.js';
import { type DomNode, HEADING_LEVEL_ATTRIBUTE, writeHtmlBlocks } from './html-blocks.js';
import { TextBuilder } from './text-builder.js';

export const HTML_PARSER_ID = 'html-readability-v1';

/** Elements that are site chrome whatever the page; Readability's scoring misses some (a short page's nav). */
const BOILERPLATE =
  'script, style, noscript, template, nav, footer, aside, form, iframe, [role=navigation], [role=contentinfo], [role=banner], [aria-hidden=true]';

interface DomElement extends DomNode {
  remove(): void;
  setAttribute(name: string, value: string): void;
  querySelector(selector: string): DomElement | null;
}

interface DomDocument {
  body: (DomNode & { querySelectorAll(selector: string): ArrayLike<DomElement> }) | null;
  title: string;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
}

/** Drops site chrome; a <header> goes too unless it holds the page's h1 (an article's own header). */
function stripBoilerplate(document: DomDocument): void {
  for (const element of Array.from(document.querySelectorAll(BOILERPLATE))) element.remove();
  for (const header of Array.from(document.querySelectorAll('header'))) {
    if (!header.querySelector('h1')) header.remove();
  }
}

export function parseHtml(html: string): ParsedDocument {
  const builder = new TextBuilder();
  const { document } = parseHTML(html) as unknown as { document: DomDocument };
  let article: { title?: string | null; content?: string | null } | null = null;
  try {
    // Readability mutates the document it reads: give it its own copy.
    const copy = (parseHTML(html) as unknown as { document: DomDocument }).document;
    stripBoilerplate(copy);
    for (const heading of Array.from(copy.querySelectorAll('h1, h2, h3, h4, h5, h6'))) {
      heading.setAttribute(HEADING_LEVEL_ATTRIBUTE, heading.nodeName.slice(1));
    }
    article = new Readability(copy as never, { charThreshold: 200 }).parse();
  } catch {
    article = null;
  }
  if (article?.content) {
    const content = (
      parseHTML(`<!doctype html><html><body>${article.content}</body></html>`) as unknown as {
        document: DomDocument;
      }
    ).document;
    const title = article.title?.trim() ?? '';
    // Readability drops the h1 that repeats the page title: it is put back as the top heading.
    if (title !== '' && !content.querySelector(`h1, [${HEADING_LEVEL_ATTRIBUTE}="1"]`)) builder.heading(1, title);
    if (content.body) writeHtmlBlocks(content.body, builder);
  }
  if (!builder.hasText() && document.body) {
    stripBoilerplate(document);
    const title = document.title?.trim() ?? '';
    if (title !== '' && !document.querySelector('h1')) builder.heading(1, title);
    writeHtmlBlocks(document.body, builder);
  }
  return builder.finish(HTML_PARSER_ID);
}
