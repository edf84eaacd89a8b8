/**
 * The k best (highest-scoring) slots seen, kept in a binary min-heap so that a scan over n
 * candidates costs O(n log k). Ties keep the lower slot, so results are deterministic.
 */
export class TopK {
  private readonly scores: Float64Array;
  private readonly slots: Int32Array;
  private size = 0;

  constructor(readonly k: number) {
    this.scores = new Float64Array(Math.max(1, k));
    this.slots = new Int32Array(Math.max(1, k));
  }

  /** The score a candidate must beat to enter (−∞ until k are held). */
  get threshold(): number {
    return this.size < this.k ? Number.NEGATIVE_INFINITY : (this.scores[0] as number);
  }

  offer(slot: number, score: number): void {
    if (this.k === 0) return;
    if (this.size < this.k) {
      this.scores[this.size] = score;
      this.slots[this.size] = slot;
      this.siftUp(this.size++);
      return;
    }
    if (!this.beats(score, slot, 0)) return;
    this.scores[0] = score;
    this.slots[0] = slot;
    this.siftDown(0);
  }

  /** Best first. */
  drain(): { slot: number; score: number }[] {
    const out: { slot: number; score: number }[] = [];
    for (let i = 0; i < this.size; i++) out.push({ slot: this.slots[i] as number, score: this.scores[i] as number });
    this.size = 0;
    return out.sort((a, b) => b.score - a.score || a.slot - b.slot);
  }

  /** Whether (score, slot) ranks above the entry at heap position i. */
  private beats(score: number, slot: number, i: number): boolean {
    const other = this.scores[i] as number;
    return score > other || (score === other && slot < (this.slots[i] as number));
  }

  private siftUp(start: number): void {
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.beats(this.scores[parent] as number, this.slots[parent] as number, i)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(start: number): void {
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (left < this.size && this.beats(this.scores[worst] as number, this.slots[worst] as number, left)) worst = left;
      if (right < this.size && this.beats(this.scores[worst] as number, this.slots[worst] as number, right))
        worst = right;
      if (worst === i) return;
      this.swap(i, worst);
      i = worst;
    }
  }

  private swap(a: number, b: number): void {
    const score = this.scores[a] as number;
    const slot = this.slots[a] as number;
    this.scores[a] = this.scores[b] as number;
    this.slots[a] = this.slots[b] as number;
    this.scores[b] = score;
    this.slots[b] = slot;
  }
}
