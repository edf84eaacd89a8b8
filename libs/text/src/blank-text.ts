/**
 * Text a person would see as empty: only whitespace, separators, control and format characters
 * (zero-width spaces and joiners, bidirectional controls, the byte-order mark), variation
 * selectors, and the "blank" letters some scripts have (Hangul fillers, the braille blank).
 * Such a question has nothing to answer and such a document nothing to index, however many
 * characters it holds.
 */
const invisible = /[\s\p{Z}\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Default_Ignorable_Code_Point}\u2800]/gu;

/** True when nothing of the text would be visible. */
export function isBlankText(text: string): boolean {
  return text.replace(invisible, '').length === 0;
}
