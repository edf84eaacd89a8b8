import { diffWords } from 'diff';

export type DiffPart = { kind: 'same' | 'added' | 'removed'; text: string };

/** The word-level changes from the original answer to the correction, in reading order. */
export function wordDiff(original: string, corrected: string): DiffPart[] {
  return diffWords(original, corrected).map((change) => ({
    kind: change.added ? 'added' : change.removed ? 'removed' : 'same',
    text: change.value,
  }));
}

export function changeCount(parts: readonly DiffPart[]): { added: number; removed: number } {
  const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
  return parts.reduce(
    (sum, part) => ({
      added: sum.added + (part.kind === 'added' ? words(part.text) : 0),
      removed: sum.removed + (part.kind === 'removed' ? words(part.text) : 0),
    }),
    { added: 0, removed: 0 },
  );
}
