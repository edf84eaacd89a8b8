/**
 * Sentence segmentation with offsets, tuned for retrieved chunks of plain text and Markdown:
 * headings are not answers, list markers are not part of what an item says, and a period
 * after an abbreviation or an initial does not end a sentence.
 */

export interface Sentence {
  text: string;
  /** UTF-16 offsets of `text` within the segmented string. */
  start: number;
  end: number;
}

const headingLine = /^ {0,3}#{1,6}(?:\s|$)/;
const listMarker = /^\s*(?:[-*+•]|\d{1,3}[.)])\s+/;
const blankLine = /^\s*$/;
const fenceLine = /^ {0,3}(?:```|~~~)/;

// Lowercased tokens that end with a period without ending a sentence.
const abbreviations = new Set([
  'e.g',
  'i.e',
  'etc',
  'vs',
  'cf',
  'approx',
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'st',
  'fig',
  'figs',
  'inc',
  'ltd',
  'co',
  'corp',
  'jr',
  'sr',
  'jan',
  'feb',
  'mar',
  'apr',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
]);

/** Splits `text` into sentences; offsets point into `text` so callers can quote it exactly. */
export function splitSentences(text: string): Sentence[] {
  const sentences: Sentence[] = [];
  for (const block of blocksOf(text)) {
    for (const sentence of sentencesOfBlock(text, block.start, block.end)) sentences.push(sentence);
  }
  return sentences;
}

interface Block {
  start: number;
  end: number;
}

/**
 * Paragraphs and list items, each a run of lines; soft-wrapped lines stay in one block so that
 * a sentence broken across lines is still one sentence. Headings and fenced code are dropped.
 */
function blocksOf(text: string): Block[] {
  const blocks: Block[] = [];
  let current: Block | undefined;
  let inFence = false;
  const flush = () => {
    if (current && current.end > current.start) blocks.push(current);
    current = undefined;
  };
  let lineStart = 0;
  while (lineStart <= text.length) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    const line = text.slice(lineStart, lineEnd);
    if (fenceLine.test(line)) {
      flush();
      inFence = !inFence;
    } else if (inFence || blankLine.test(line) || headingLine.test(line)) {
      flush();
    } else {
      const marker = listMarker.exec(line);
      if (marker) {
        flush();
        current = { start: lineStart + marker[0].length, end: lineEnd };
      } else if (current) {
        current.end = lineEnd;
      } else {
        current = { start: lineStart, end: lineEnd };
      }
    }
    if (newline === -1) break;
    lineStart = newline + 1;
  }
  flush();
  return blocks;
}

// A run of terminal punctuation, optionally followed by closing quotes or brackets.
const terminal = /[.!?]+["'”’)\]]*/g;

function sentencesOfBlock(text: string, blockStart: number, blockEnd: number): Sentence[] {
  const block = text.slice(blockStart, blockEnd);
  const sentences: Sentence[] = [];
  let sentenceStart = 0;
  terminal.lastIndex = 0;
  for (let match = terminal.exec(block); match; match = terminal.exec(block)) {
    const end = match.index + match[0].length;
    const rest = block.slice(end);
    // A boundary needs whitespace (or the end) after it, and no lowercase word right after.
    if (rest.length > 0 && !/^\s/.test(rest)) continue;
    if (/^\s+[a-z]/.test(rest)) continue;
    if (match[0].startsWith('.') && endsWithAbbreviation(block.slice(sentenceStart, match.index))) continue;
    pushTrimmed(sentences, text, blockStart + sentenceStart, blockStart + end);
    sentenceStart = end;
  }
  pushTrimmed(sentences, text, blockStart + sentenceStart, blockEnd);
  return sentences;
}

function endsWithAbbreviation(before: string): boolean {
  const lastToken = /([\p{L}.]+)$/u.exec(before)?.[1];
  if (!lastToken) return false;
  // A single capital letter is an initial ("J. Smith"); a dotted acronym ("U.S") likewise.
  if (/^\p{Lu}$/u.test(lastToken) || /^(?:\p{L}\.)+\p{L}$/u.test(lastToken)) return true;
  return abbreviations.has(lastToken.toLowerCase());
}

function pushTrimmed(sentences: Sentence[], text: string, start: number, end: number): void {
  let from = start;
  let to = end;
  while (from < to && /\s/.test(text[from] ?? '')) from++;
  while (to > from && /\s/.test(text[to - 1] ?? '')) to--;
  if (to > from) sentences.push({ text: text.slice(from, to), start: from, end: to });
}
