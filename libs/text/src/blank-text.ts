/**
 * Text a person would see as empty: only whitespace, separators, control and format characters
 * (zero-width spaces and joiners, bidirectional controls, the byte-order mark), variation
 * selectors, and the "blank" letters some scripts have (Hangul fillers, the braille blank).
 * Such a question has nothing to answer and such a document nothing to index, however many
 * characters it holds.
 */
const invisible =
  /[\s\p{Z}\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u2800\u3164\uFE00-\uFE0F\uFFA0]|\uDB40[\uDD00-\uDDEF]/gu;

/** True when nothing of the text would be visible. */
export function isBlankText(text: string): boolean {
  return text.replace(invisible, '').length === 0;
}
