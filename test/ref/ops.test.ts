import { describe, expect, it } from 'vitest';
import { add, attention, embed, matmul, rmsNorm, rope, roundActivations, roundToE4M3, roundToInt8, silu, softmax, swiglu } from '../../src/ref/ops.ts';
import { maxDiff, normals } from './tiny-model.ts';

describe('matmul', () => {
  it('computes x·Wᵀ + b', () => {
    const x = Float64Array.of(1, 2, 3, 4, 5, 6); // [2, 3]
    const w = Float64Array.of(1, 0, -1, 2, 1, 0); // [2, 3]
    expect(Array.from(matmul(x, w, 2, 2, 3))).toEqual([-2, 4, -2, 13]);
    expect(Array.from(matmul(x, w, 2, 2, 3, [10, 20]))).toEqual([8, 24, 8, 33]);
  });

  it('rejects mismatched shapes', () => {
    expect(() => matmul(new Float64Array(5), new Float64Array(6), 2, 2, 3)).toThrow(/matmul x/);
  });
});

describe('rmsNorm', () => {
  it('scales each row to unit rms, then by the weight', () => {
    // Row 0: mean(9, 16) = 12.5. Row 1: all 2s have rms 2.
    const y = rmsNorm([3, 4, 2, 2], [1, 2], 0);
    const r = Math.sqrt(12.5);
    expect(maxDiff(y, [3 / r, 8 / r, 1, 2])).toBeLessThan(1e-15);
  });

  it('adds eps inside the square root', () => {
    expect(rmsNorm([0, 0], [1, 1], 1e-6)[0]).toBe(0);
    expect(rmsNorm([1], [1], 3)[0]).toBeCloseTo(0.5, 15);
  });
});

describe('rope', () => {
  const D = 8;
  const nHeads = 3;
  const invFreq = Float64Array.from({ length: D / 2 }, (_, i) => Math.pow(10000, (-2 * i) / D)); // [D/2]

  it('matches the direct cos/sin formula on half-split pairs', () => {
    const positions = [0, 5, 17];
    const x = normals(1, positions.length * nHeads * D); // [T, nHeads*D]
    const y = Float64Array.from(x);
    rope(y, positions, nHeads, D, invFreq, 1.25);
    for (let t = 0; t < positions.length; t++)
      for (let h = 0; h < nHeads; h++)
        for (let i = 0; i < D / 2; i++) {
          const o = (t * nHeads + h) * D;
          const a = positions[t] * invFreq[i];
          const [c, s] = [1.25 * Math.cos(a), 1.25 * Math.sin(a)];
          expect(y[o + i]).toBeCloseTo(x[o + i] * c - x[o + i + D / 2] * s, 14);
          expect(y[o + i + D / 2]).toBeCloseTo(x[o + i + D / 2] * c + x[o + i] * s, 14);
        }
  });

  it('is the identity at position 0 and preserves each pair norm', () => {
    const x = normals(2, 2 * nHeads * D); // [2, nHeads*D]
    const y = Float64Array.from(x);
    rope(y, [0, 1234], nHeads, D, invFreq);
    expect(maxDiff(y.subarray(0, nHeads * D), x.subarray(0, nHeads * D))).toBe(0);
    for (let o = nHeads * D; o < x.length; o += D)
      for (let i = 0; i < D / 2; i++) {
        const before = Math.hypot(x[o + i], x[o + i + D / 2]);
        expect(Math.hypot(y[o + i], y[o + i + D / 2])).toBeCloseTo(before, 13);
      }
  });

  it('makes q·k depend only on the position difference', () => {
    const q = normals(3, D);
    const k = normals(4, D);
    const dotAt = (pq: number, pk: number) => {
      const [rq, rk] = [Float64Array.from(q), Float64Array.from(k)];
      rope(rq, [pq], 1, D, invFreq);
      rope(rk, [pk], 1, D, invFreq);
      return rq.reduce((s, v, i) => s + v * rk[i], 0);
    };
    expect(dotAt(10, 7)).toBeCloseTo(dotAt(3, 0), 12);
    expect(dotAt(100, 97)).toBeCloseTo(dotAt(3, 0), 12);
  });
});

describe('attention', () => {
  it('returns v when there is one key', () => {
    const q = normals(5, 2 * 4); //  [1, 2 heads * 4]
    const k = normals(6, 1 * 4); //  [1, 1 kv head * 4]
    const v = Float64Array.of(1, -2, 3, 0.5); // [1, 4]
    expect(Array.from(attention(q, k, v, 1, 0, 2, 1, 4))).toEqual([...v, ...v]);
  });

  it('averages the values when all scores are equal, and is causal', () => {
    const D = 2;
    const q = new Float64Array(3 * D); // [3, D] zero queries: equal scores
    const k = normals(7, 3 * D); //       [3, D]
    const v = Float64Array.of(3, 0, 0, 3, 6, 6); // [3, D]
    // Query t sees values 0..t.
    expect(maxDiff(attention(q, k, v, 3, 0, 1, 1, D), [3, 0, 1.5, 1.5, 3, 3])).toBeLessThan(1e-15);
    // The last query alone after 2 cached positions sees all three.
    expect(maxDiff(attention(q.subarray(0, D), k, v, 1, 2, 1, 1, D), [3, 3])).toBeLessThan(1e-15);
  });

  it('weights values by softmax(q·k / sqrt(D))', () => {
    const q = Float64Array.of(1, 2); //        [1, D=2]
    const k = Float64Array.of(1, 0, 0, 1); //  [2, D]
    const v = Float64Array.of(10, 0, 0, 10); // [2, D]
    const [s0, s1] = [1 / Math.SQRT2, 2 / Math.SQRT2];
    const p1 = Math.exp(s1) / (Math.exp(s0) + Math.exp(s1));
    expect(maxDiff(attention(q, k, v, 1, 1, 1, 1, 2), [10 * (1 - p1), 10 * p1])).toBeLessThan(1e-14);
  });

  it('grouped-query equals repeating each kv head nH/nKv times', () => {
    const [T, past, nH, nKv, D] = [3, 2, 6, 2, 4];
    const S = past + T;
    const q = normals(8, T * nH * D); //   [T, nH*D]
    const k = normals(9, S * nKv * D); //  [S, nKv*D]
    const v = normals(10, S * nKv * D); // [S, nKv*D]
    // Query heads 0..2 read kv head 0 and 3..5 kv head 1.
    const expand = (c: Float64Array) => {
      const e = new Float64Array(S * nH * D); // [S, nH*D]
      for (let s = 0; s < S; s++)
        for (let h = 0; h < nH; h++) {
          const from = (s * nKv + Math.floor(h / 3)) * D;
          e.set(c.subarray(from, from + D), (s * nH + h) * D);
        }
      return e;
    };
    const grouped = attention(q, k, v, T, past, nH, nKv, D);
    expect(maxDiff(grouped, attention(q, expand(k), expand(v), T, past, nH, nH, D))).toBe(0);
  });

  it('ignores cache rows past the last query', () => {
    const q = normals(11, 4);
    const k = normals(12, 3 * 4);
    const v = normals(13, 3 * 4);
    const k2 = Float64Array.from(k);
    k2.fill(99, 2 * 4);
    expect(maxDiff(attention(q, k, v, 1, 1, 1, 1, 4), attention(q, k2, v, 1, 1, 1, 1, 4))).toBe(0);
  });
});

describe('elementwise ops', () => {
  it('silu and swiglu', () => {
    expect(silu([0])[0]).toBe(0);
    expect(silu([1])[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
    expect(silu([-50])[0]).toBeCloseTo(0, 15);
    expect(silu([50])[0]).toBeCloseTo(50, 12);
    expect(maxDiff(swiglu([1, 0, 2], [2, 5, -1]), [2 / (1 + Math.exp(-1)), 0, -2 / (1 + Math.exp(-2))])).toBeLessThan(1e-15);
  });

  it('add', () => {
    expect(Array.from(add([1, 2], [0.5, -2]))).toEqual([1.5, 0]);
    expect(() => add([1], [1, 2])).toThrow(/add/);
  });

  it('softmax per row, stable for large inputs', () => {
    const y = softmax([0, Math.log(3), 1000, 1000], 2);
    expect(maxDiff(y, [0.25, 0.75, 0.5, 0.5])).toBeLessThan(1e-15);
    expect(softmax([1, 2, 3]).reduce((a, b) => a + b)).toBeCloseTo(1, 15);
  });

  it('embed gathers rows and rejects ids outside the table', () => {
    const table = Float64Array.of(0, 1, 10, 11, 20, 21); // [3, 2]
    expect(Array.from(embed(table, [2, 0, 2], 2))).toEqual([20, 21, 0, 1, 20, 21]);
    expect(() => embed(table, [3], 2)).toThrow(/token id 3/);
  });
});

describe('roundToE4M3', () => {
  it('scales each group to max 448, rounds to E4M3 (ties to even) and scales back', () => {
    // One row, one group: the max is 896, so the scale is 2 and each value is 2 * e4m3(x / 2).
    const x = Float64Array.from([896, 2.125, 2.375, -6.5, 2 ** -9, 0]);
    expect(Array.from(roundToE4M3(x, 6, 0))).toEqual([896, 2, 2.5, -6.5, 0, 0]);
    // Two groups of 3: each its own scale; an all-zero group stays zero.
    const y = Float64Array.from([448, 1.0625, 1.1875, 0, 0, 0]);
    expect(Array.from(roundToE4M3(y, 6, 3))).toEqual([448, 1, 1.25, 0, 0, 0]);
    // Rows are independent: the second row's larger values do not coarsen the first's.
    const two = roundToE4M3(Float64Array.from([1, 0.3, 100, 3]), 2, 0);
    expect(two[1] / two[0]).toBeCloseTo(0.3, 1);
    expect(Math.abs(two[1] - 0.3)).toBeLessThan(0.3 / 16);
  });
});

describe('roundToInt8', () => {
  it('scales each row to max 127, rounds half to even, clamps to [-128, 127] and scales back', () => {
    // Max 254: the step is 2, and x / 2 is 127, then the ties 2.5 -> 2, -2.5 -> -2, 3.5 -> 4, -3.5 -> -4, then 1.2 -> 1.
    const x = Float64Array.from([254, 5, -5, 7, -7, 2.4]);
    expect(Array.from(roundToInt8(x, 6, 0))).toEqual([254, 4, -4, 8, -8, 2]);
    // The negative extreme maps to -127 (the scale comes from max |x|); an all-zero row stays zero.
    expect(Array.from(roundToInt8(Float64Array.from([-127, 0.5, 0, 0]), 2, 0))).toEqual([-127, 0, 0, 0]);
  });
  it('is what roundActivations does for the int8 format', () => {
    const x = Float64Array.from([3, -1.7, 0.26, 9]);
    expect(roundActivations(x, 4, { format: 'int8', group: 0 })).toEqual(roundToInt8(x, 4, 0));
    expect(roundActivations(x, 4, { format: 'e4m3', group: 0 })).toEqual(roundToE4M3(x, 4, 0));
  });
});
