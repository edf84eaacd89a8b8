/**
 * Sentence splitting for answers and sources: a handful of rules, no model, because the
 * evaluator must be deterministic and explainable (see score-answer.ts).
 */

// Citation markers written after the full stop ("... first. [1]") belong to that sentence.
const MARKERS_AFTER_STOP = /([.!?])((?:\s*\[\^?\d+(?:\s*[,;–-]\s*\^?\d+)*\])+)/g;
const LIST_BULLET = /^\s*(?:[-*•]|\d+[.)])\s+/;
// A full stop after these does not end a sentence. Tested on the last characters only (the
// longest form, "approx.", plus one for the word boundary), so long run-ons stay linear.
const ABBREVIATION = /\b(?:e\.g|i\.e|etc|vs|approx|incl|dr|mr|mrs|ms|fig)\.$/i;
const ABBREVIATION_TAIL = 8;
// A line break inside a paragraph: not before a blank line or a bullet. The whitespace before
// either excludes line breaks, so a long run of blank lines is scanned once, not once per line.
const WRAPPED_LINE_BREAK = /\r?\n(?![^\S\n]*\n|[^\S\n]*(?:[-*•]|\d+[.)])\s)/g;

/**
 * The sentences of a text; markers written after the full stop stay with their sentence. Each
 * line is a block (answers use lines for bullets) unless `joinWrappedLines` is set, for source
 * text whose lines wrap mid-sentence: then only blank lines and bullets break blocks.
 */
export function splitSentences(text: string, options: { joinWrappedLines?: boolean } = {}): string[] {
  const sentences: string[] = [];
  const blocks = options.joinWrappedLines ? text.replace(WRAPPED_LINE_BREAK, ' ').split(/\r?\n/) : text.split(/\r?\n/);
  for (const line of blocks) {
    const block = line.replace(LIST_BULLET, '').replace(MARKERS_AFTER_STOP, '$2$1').trim();
    if (!block) continue;
    let current = '';
    for (const piece of block.split(/(?<=[.!?])\s+/)) {
      // Join when the stop was an abbreviation or the next piece does not start a sentence.
      if (current && (ABBREVIATION.test(current.slice(-ABBREVIATION_TAIL)) || /^\p{Ll}/u.test(piece)))
        current = `${current} ${piece}`;
      else {
        if (current) sentences.push(current);
        current = piece;
      }
    }
    if (current) sentences.push(current);
  }
  return sentences;
}
