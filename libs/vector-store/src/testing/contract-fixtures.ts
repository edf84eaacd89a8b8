/** Deterministic data for the contract suite: the same vectors on every run and adapter. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  // mulberry32
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomUnitVector(random: () => number, dimensions: number): number[] {
  // Box-Muller normals give directions uniform on the sphere.
  const vector = Array.from({ length: dimensions }, () => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  });
  return normalise(vector);
}

export function normalise(vector: number[]): number[] {
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  a.forEach((value, i) => {
    const other = b[i] ?? 0;
    dot += value * other;
    normA += value * value;
    normB += other * other;
  });
  return dot / Math.sqrt(normA * normB);
}

/** A vector close to `target`: cosine about 0.99 for `noise` 0.1. */
export function near(random: () => number, target: readonly number[], noise: number): number[] {
  return normalise(target.map((value) => value + (noise * (random() * 2 - 1)) / Math.sqrt(target.length)));
}

const filler = [
  'The committee reviewed the quarterly report on regional logistics.',
  'Operators logged routine maintenance of the conveyor system.',
  'A summary of supplier contracts was shared with the finance team.',
  'The warehouse schedule changed after the holiday season.',
  'Staff completed safety training and updated their certifications.',
  'Inventory levels were reconciled against the purchase orders.',
];

/** Plain sentences that share common words but no rare ones. */
export function fillerText(random: () => number, sentences = 3): string {
  return Array.from({ length: sentences }, () => filler[Math.floor(random() * filler.length)]).join(' ');
}
