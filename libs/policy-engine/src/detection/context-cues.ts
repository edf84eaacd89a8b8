/**
 * Context words near a candidate ("phone:", "call me on", "card number") as evidence, the way
 * Presidio's context enhancers use them: a detector that finds a cue close to a candidate may
 * accept a shape it would not accept bare. One regex pass finds every cue in the text, and each
 * candidate then costs a binary search, so a text full of cues and candidates stays linear-ish
 * (n log n) rather than rescanning a window per candidate.
 */
export interface CueIndex {
  /**
   * Whether a cue ends within `window` characters before `start`, on the same line, or on the
   * line before with only a colon and white space between (a label: "Phone:\n555 0100").
   */
  before(start: number, window: number): boolean;
  /** Whether a cue starts within `window` characters after `end`, with only spaces or a dash between. */
  after(end: number, window: number): boolean;
}

export function indexCues(text: string, cue: RegExp): CueIndex {
  if (!cue.global) throw new Error('a cue pattern must be global');
  const starts: number[] = [];
  const ends: number[] = [];
  for (const match of text.matchAll(cue)) {
    starts.push(match.index);
    ends.push(match.index + match[0].length);
  }
  const separatorOnly = (from: number, to: number) => /^[ \t]*[-\u2013]?[ \t]*$/.test(text.slice(from, to));
  const sameLineOrLabel = (from: number, to: number) => {
    const gap = text.slice(from, to);
    return !/[\n\r]/.test(gap) || /^[ \t]*[:#]?[ \t]*(?:\r?\n)[ \t]*$/.test(gap);
  };
  return {
    before(start, window) {
      // The last cue ending at or before `start` (ends are sorted: cues never overlap).
      const index = lastAtOrBelow(ends, start);
      if (index < 0) return false;
      const end = ends[index] as number;
      return start - end <= window && sameLineOrLabel(end, start);
    },
    after(end, window) {
      const index = firstAtOrAbove(starts, end);
      if (index >= starts.length) return false;
      const start = starts[index] as number;
      return start - end <= window && separatorOnly(end, start);
    },
  };
}

function lastAtOrBelow(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if ((sorted[middle] as number) <= value) {
      found = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}

function firstAtOrAbove(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((sorted[middle] as number) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
