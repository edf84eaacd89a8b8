/**
 * Krippendorff's alpha, the agreement of several coders on the same units beyond chance, for any
 * number of coders and missing values (Krippendorff 2011, "Computing Krippendorff's
 * Alpha-Reliability"): α = 1 − (n − 1) · Σ o_ck δ²_ck / Σ n_c n_k δ²_ck, over the coincidence
 * matrix o of the values paired within each unit (each pair weighted 1 / (m_u − 1)), with n_c its
 * marginals and n the number of pairable values. Units with fewer than two values carry no
 * information about agreement and are left out.
 */

export type Metric = 'nominal' | 'interval';

/** One unit's values, one per coder who coded it (missing values simply absent). */
export type Unit<V> = readonly V[];

function delta2(metric: Metric, a: number | string, b: number | string): number {
  if (metric === 'nominal') return a === b ? 0 : 1;
  const difference = Number(a) - Number(b);
  return difference * difference;
}

/**
 * Alpha, or null when it is undefined: fewer than two pairable values, or no variation at all
 * (every value the same, so chance agreement is already perfect).
 */
export function krippendorffAlpha<V extends number | string>(units: readonly Unit<V>[], metric: Metric): number | null {
  const coincidences = new Map<V, Map<V, number>>();
  const add = (c: V, k: V, weight: number) => {
    const row = coincidences.get(c) ?? new Map<V, number>();
    row.set(k, (row.get(k) ?? 0) + weight);
    coincidences.set(c, row);
  };
  for (const unit of units) {
    const m = unit.length;
    if (m < 2) continue;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        if (i !== j) add(unit[i] as V, unit[j] as V, 1 / (m - 1));
      }
    }
  }
  const values = [...coincidences.keys()];
  const marginals = new Map(
    values.map((value) => [value, [...(coincidences.get(value)?.values() ?? [])].reduce((a, b) => a + b, 0)]),
  );
  const n = [...marginals.values()].reduce((a, b) => a + b, 0);
  if (n < 2) return null;
  let observed = 0;
  let expected = 0;
  for (const c of values) {
    for (const k of values) {
      const d = delta2(metric, c, k);
      if (d === 0) continue;
      observed += (coincidences.get(c)?.get(k) ?? 0) * d;
      expected += (marginals.get(c) ?? 0) * (marginals.get(k) ?? 0) * d;
    }
  }
  if (expected === 0) return null;
  return 1 - ((n - 1) * observed) / expected;
}
