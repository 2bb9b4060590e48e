/** The Playwright harness's packing of arguments and results (e2e/harness/wire.ts): every number arrives as it left. */
import { describe, expect, test } from 'vitest';
import { fromWire, toWire } from '../../e2e/harness/wire.ts';
import { Rng } from '../../scripts/lib/random.ts';

const roundTrip = (v: unknown) => fromWire(toWire(v));

describe('harness wire', () => {
  test('long arrays of bytes, integers, f32 and f64 values come back exactly, and smaller than JSON', () => {
    const rng = new Rng(3);
    const bytes = Array.from({ length: 1000 }, () => rng.int(256));
    const ints = Array.from({ length: 100 }, (_, i) => (i - 50) * 40_000_000);
    const f32 = Array.from(new Float32Array(rng.normals(100)));
    const f64 = Array.from({ length: 100 }, () => rng.normal());
    for (const values of [bytes, ints, f32, f64]) {
      expect(roundTrip({ values })).toEqual({ values });
      expect(toWire(values).length).toBeLessThan(JSON.stringify(values).length);
    }
  });

  test('NaN, infinities and -0 survive, alone and in arrays of any length', () => {
    const special = [NaN, Infinity, -Infinity, -0];
    for (const v of special) expect(Object.is(roundTrip(v), v)).toBe(true);
    for (const values of [special, [...special, ...Array.from({ length: 40 }, (_, i) => i)], [...Array(40).fill(0), -0]]) {
      const back = roundTrip(values) as number[];
      expect(back.length).toBe(values.length);
      values.forEach((v, i) => expect(Object.is(back[i], v), `${i}: ${back[i]} for ${v}`).toBe(true));
    }
  });

  test('typed arrays arrive as plain arrays; strings, nulls, nesting and mixed arrays as JSON has them', () => {
    expect(roundTrip({ a: new Uint32Array([1, 2, 3]), b: new Float32Array(40).fill(1.5) })).toEqual({ a: [1, 2, 3], b: Array(40).fill(1.5) });
    const plain = { s: 'text', n: null, nested: [[1, 2], [3]], mixed: [...Array(40).fill(1), 'x'], t: true, u: undefined };
    expect(roundTrip(plain)).toEqual({ s: 'text', n: null, nested: [[1, 2], [3]], mixed: [...Array(40).fill(1), 'x'], t: true });
  });
});
