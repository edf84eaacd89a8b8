/**
 * Sentence splitting for answers and sources: a handful of rules, no model, because the
 * evaluator must be deterministic and explainable (see score-answer.ts).
 */

// Citation markers written after the full stop ("... first. [1]") belong to that sentence.
const MARKERS_AFTER_STOP = /([.!?])((?:\s*\[\^?\d+(?:\s*[,;–-]\s*\^?\d+)*\])+)/g;
const LIST_BULLET = /^\s*(?:[-*•]|\d+[.)])\s+/;
// A full stop after these does not end a sentence.
const ABBREVIATION = /\b(?:e\.g|i\.e|etc|vs|approx|incl|dr|mr|mrs|ms|fig)\.$/i;

/**
 * The sentences of a text; markers written after the full stop stay with their sentence. Each
 * line is a block (answers use lines for bullets) unless `joinWrappedLines` is set, for source
 * text whose lines wrap mid-sentence: then only blank lines and bullets break blocks.
 */
export function splitSentences(text: string, options: { joinWrappedLines?: boolean } = {}): string[] {
  const sentences: string[] = [];
  const blocks = options.joinWrappedLines
    ? text.replace(/\r?\n(?!\s*\r?\n|\s*(?:[-*•]|\d+[.)])\s)/g, ' ').split(/\r?\n/)
    : text.split(/\r?\n/);
  for (const line of blocks) {
    const block = line.replace(LIST_BULLET, '').replace(MARKERS_AFTER_STOP, '$2$1').trim();
    if (!block) continue;
    let current = '';
    for (const piece of block.split(/(?<=[.!?])\s+/)) {
      // Join when the stop was an abbreviation or the next piece does not start a sentence.
      if (current && (ABBREVIATION.test(current) || /^\p{Ll}/u.test(piece))) current = `${current} ${piece}`;
      else {
        if (current) sentences.push(current);
        current = piece;
      }
    }
    if (current) sentences.push(current);
  }
  return sentences;
}
