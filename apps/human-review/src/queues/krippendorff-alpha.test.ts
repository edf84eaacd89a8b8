import { describe, expect, it } from 'vitest';
import { krippendorffAlpha } from './krippendorff-alpha.js';

/**
 * The reliability data of Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability",
 * section C: four observers, twelve units, values 1-5 with missing data ("." below). The paper
 * works it through to α = 0.743 (nominal) and α = 0.849 (interval).
 */
const observers = [
  '1 2 3 3 2 1 4 1 2 . . .',
  '1 2 3 3 2 2 4 1 2 5 . 3',
  '. 3 3 3 2 3 4 2 2 5 1 .',
  '1 2 3 3 2 4 4 1 2 5 1 .',
].map((row) => row.split(' ').map((cell) => (cell === '.' ? null : Number(cell))));
const paperUnits = Array.from({ length: 12 }, (_, unit) =>
  observers.map((row) => row[unit]).filter((value): value is number => value !== null && value !== undefined),
);

describe('krippendorffAlpha', () => {
  it("reproduces the paper's nominal and interval results for its data with missing values", () => {
    expect(krippendorffAlpha(paperUnits, 'nominal')).toBeCloseTo(0.743, 3);
    expect(krippendorffAlpha(paperUnits, 'interval')).toBeCloseTo(0.849, 3);
  });

  it('is 1 when every coder agrees on every unit (and values vary between units)', () => {
    expect(
      krippendorffAlpha(
        [
          ['a', 'a'],
          ['b', 'b', 'b'],
          ['a', 'a'],
        ],
        'nominal',
      ),
    ).toBe(1);
    expect(
      krippendorffAlpha(
        [
          [1, 1],
          [5, 5],
        ],
        'interval',
      ),
    ).toBe(1);
  });

  it('is below 0 when coders disagree systematically', () => {
    const alpha = krippendorffAlpha(
      [
        ['a', 'b'],
        ['b', 'a'],
        ['a', 'b'],
        ['b', 'a'],
      ],
      'nominal',
    );
    expect(alpha).not.toBeNull();
    expect(alpha as number).toBeLessThan(0);
  });

  it('hand-computed: two coders, three units, one disagreement', () => {
    // Coincidences: a-a 2, b-b 2, a-b 1, b-a 1; n = 6, n_a = n_b = 3.
    // D_o ∝ 2 pairs, D_e ∝ 2·3·3 = 18: α = 1 − 5·2/18 = 0.444…
    expect(
      krippendorffAlpha(
        [
          ['a', 'a'],
          ['b', 'b'],
          ['a', 'b'],
        ],
        'nominal',
      ),
    ).toBeCloseTo(1 - 10 / 18, 10);
  });

  it('weighs distance for interval data and not for nominal data', () => {
    // The same data with the labels 2 and 9 swapped: nominal alpha cannot tell, interval alpha can.
    const close = [
      [1, 1],
      [2, 2],
      [9, 9],
      [1, 2],
    ];
    const distant = [
      [1, 1],
      [9, 9],
      [2, 2],
      [1, 9],
    ];
    expect(krippendorffAlpha(close, 'nominal')).toBeCloseTo(krippendorffAlpha(distant, 'nominal') as number, 10);
    expect(krippendorffAlpha(close, 'interval') as number).toBeGreaterThan(
      krippendorffAlpha(distant, 'interval') as number,
    );
  });

  it('is undefined without pairable values or without any variation', () => {
    expect(krippendorffAlpha([], 'nominal')).toBeNull();
    expect(krippendorffAlpha([['a'], ['b']], 'nominal')).toBeNull();
    expect(
      krippendorffAlpha(
        [
          ['a', 'a'],
          ['a', 'a'],
        ],
        'nominal',
      ),
    ).toBeNull();
  });
});
