// Words as the GloVe vocabulary spells them: lowercase, with inner hyphens, apostrophes and
// dots kept (`state-of-the-art`, `o'neill`, `u.s.`); a compound the vocabulary lacks is
// looked up part by part.
const wordPattern = /[\p{L}\p{N}]+(?:['.-][\p{L}\p{N}]+)*\.?/gu;
const partSeparator = /['.-]+/;

/** Rows of the known words of `text`, in order; unknown words are skipped. */
export function knownWordRows(text: string, rowOf: ReadonlyMap<string, number>): number[] {
  const rows: number[] = [];
  const normalised = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'");
  for (const match of normalised.matchAll(wordPattern)) {
    const word = match[0];
    const row = rowOf.get(word) ?? (word.endsWith('.') ? rowOf.get(word.slice(0, -1)) : undefined);
    if (row !== undefined) {
      rows.push(row);
      continue;
    }
    for (const part of word.split(partSeparator)) {
      const partRow = part === '' ? undefined : rowOf.get(part);
      if (partRow !== undefined) rows.push(partRow);
    }
  }
  return rows;
}
