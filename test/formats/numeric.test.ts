import { describe, expect, it } from 'vitest';
import {
  bf16BitsToF32,
  dequantizeRows,
  f16BitsToF32,
  f32ToBf16,
  f32ToBf16Bits,
  f32ToF16,
  f32ToF16Bits,
  quantizeQ4_0,
  quantizeQ8_0,
  e4m3ToF32,
  f32ToE4M3,
} from '../../src/formats/numeric.ts';
import { randomFloats } from './helpers.ts';

/** The f32 one step larger (1) or smaller (-1) in magnitude, to probe either side of a rounding boundary. */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function f32Step(v: number, dir: 1 | -1): number {
  f32[0] = v;
  u32[0] += dir;
  return f32[0];
}
/** -0 -> +0, for comparing decoded arrays where the sign of zero does not matter. */
const plain = (a: ArrayLike<number>) => Array.from(a, (v) => v + 0);
const isF16Nan = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
const isBf16Nan = (b: number) => (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;

describe('f16', () => {
  it('encodes landmark values', () => {
    const cases: [number, number][] = [
      [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [-0, 0x8000], [0, 0x0000],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [1023 * 2 ** -24, 0x03ff], // largest subnormal
      [Infinity, 0x7c00], [-Infinity, 0xfc00],
      [1e6, 0x7c00], [-1e6, 0xfc00], // overflow
      [65519, 0x7bff], [65520, 0x7c00], // 65520 is the tie between 65504 and 2^16: even is infinity
      [1e-9, 0x0000], [-1e-9, 0x8000], // underflow keeps the sign
    ];
    for (const [v, bits] of cases) expect(f32ToF16Bits(v), `${v}`).toBe(bits);
  });

  it('rounds ties to even, in normals and subnormals', () => {
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // halfway 1 .. 1+2^-10: down to even
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway odd .. even: up
    expect(f32ToF16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above halfway: up
    expect(f32ToF16Bits(2049)).toBe(0x6800); // 2048 | 2050
    expect(f32ToF16Bits(2051)).toBe(0x6802); // 2050 | 2052
    expect(f32ToF16Bits(2 ** -25)).toBe(0x0000); // half the smallest subnormal: to 0
    expect(f32ToF16Bits(3 * 2 ** -25)).toBe(0x0002); // 1.5 units: to 2
    expect(f32ToF16Bits(2 ** -25 * (1 + 2 ** -20))).toBe(0x0001);
    expect(f32ToF16Bits(1023.5 * 2 ** -24)).toBe(0x0400); // rounds up into the normals
  });

  it('decodes every bit pattern so that encoding gives it back', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = f16BitsToF32(h);
      if (isF16Nan(h)) {
        expect(v).toBeNaN();
        expect(isF16Nan(f32ToF16Bits(v))).toBe(true);
      } else if (f32ToF16Bits(v) !== h) expect.fail(`0x${h.toString(16)} -> ${v} -> 0x${f32ToF16Bits(v).toString(16)}`);
    }
    expect(f16BitsToF32(0x3555)).toBe(0.333251953125);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(Object.is(f16BitsToF32(0x8000), -0)).toBe(true);
  });

  it('rounds every midpoint between neighbours to the even one, and its f32 neighbours to the nearer', () => {
    // All positive finite f16 pairs (h, h+1), plus 65504 | 2^16 (infinity); negatives mirror.
    for (let h = 0; h < 0x7c00; h++) {
      const lo = f16BitsToF32(h);
      const hi = h + 1 === 0x7c00 ? 65536 : f16BitsToF32(h + 1);
      const mid = (lo + hi) / 2; // 12 significant bits: exact in f32
      const even = h % 2 === 0 ? h : h + 1;
      const bad = (v: number, want: number) => f32ToF16Bits(v) !== want || f32ToF16Bits(-v) !== (want | 0x8000);
      if (bad(mid, even) || bad(f32Step(mid, -1), h) || bad(f32Step(mid, 1), h + 1)) expect.fail(`rounding between 0x${h.toString(16)} and 0x${(h + 1).toString(16)}`);
    }
  });

  it('keeps NaN a NaN', () => {
    expect(isF16Nan(f32ToF16Bits(NaN))).toBe(true);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
  });

  it('converts arrays element by element', () => {
    expect([...f32ToF16([1, -2, 65520])]).toEqual([0x3c00, 0xc000, 0x7c00]);
  });
});

describe('bf16', () => {
  it('encodes landmark values and rounds ties to even', () => {
    const cases: [number, number][] = [
      [1, 0x3f80], [-2, 0xc000], [3.140625, 0x4049], [-0, 0x8000], [Infinity, 0x7f80], [-Infinity, 0xff80],
      [1 + 2 ** -8, 0x3f80], // tie: down to even
      [1 + 3 * 2 ** -8, 0x3f82], // tie: up to even
      [1 + 2 ** -8 + 2 ** -20, 0x3f81], // above the tie
      [3.4028234663852886e38, 0x7f80], // f32 max rounds past bf16 max: infinity, as torch does
      [2 ** -133, 0x0001], // f32 subnormals round like the rest
    ];
    for (const [v, bits] of cases) expect(f32ToBf16Bits(v), `${v}`).toBe(bits);
    expect([...f32ToBf16([1, -2])]).toEqual([0x3f80, 0xc000]);
  });

  it('round-trips every bit pattern and rounds every midpoint to even', () => {
    for (let b = 0; b < 0x10000; b++) {
      const v = bf16BitsToF32(b);
      if (isBf16Nan(b)) {
        if (!Number.isNaN(v) || !isBf16Nan(f32ToBf16Bits(v))) expect.fail(`NaN 0x${b.toString(16)}`);
        continue;
      }
      if (f32ToBf16Bits(v) !== b) expect.fail(`0x${b.toString(16)} -> ${v} -> 0x${f32ToBf16Bits(v).toString(16)}`);
      if ((b & 0x7f80) === 0x7f80) continue; // infinities have no upper neighbour
      // The f32 halfway to the next bf16 has bit 15 set and nothing below.
      u32[0] = ((b << 16) | 0x8000) >>> 0;
      const mid = f32[0];
      const even = b % 2 === 0 ? b : b + 1;
      if (f32ToBf16Bits(mid) !== even || f32ToBf16Bits(f32Step(mid, -1)) !== b || f32ToBf16Bits(f32Step(mid, 1)) !== b + 1) {
        expect.fail(`rounding between 0x${b.toString(16)} and 0x${(b + 1).toString(16)}`);
      }
    }
  });

  it('keeps NaN a NaN (never rounds it into infinity)', () => {
    // 0x7fffffff would carry into the sign if NaN went through the rounding add.
    u32[0] = 0x7fffffff;
    expect(isBf16Nan(f32ToBf16Bits(f32[0]))).toBe(true);
    expect(isBf16Nan(f32ToBf16Bits(NaN))).toBe(true);
  });
});

/** A Q8_0 or Q4_0 block's scale as f16 bits. */
const scaleBits = (bytes: Uint8Array, blockBytes: number, block: number) => bytes[block * blockBytes] | (bytes[block * blockBytes + 1] << 8);

describe('Q8_0', () => {
  it('writes d = max|x|/127 as f16 and q = round(x/d), halves away from zero', () => {
    // Block 0: max |x| = 63.5, so d = 0.5 exactly and q = 2x, with .5 ties.
    const x0 = [63.5, -63.5, 0.25, -0.25, 0.75, -1.25, 1, -1, 0.2, 0.3, 10, -10.1, 31.25, -31.25, 2.5, -2.5];
    const q0 = [127, -127, 1, -1, 2, -3, 2, -2, 0, 1, 20, -20, 63, -63, 5, -5];
    // Block 1: max |x| = 1, so d = 1/127 (f16 0x2008 = 0.0078735..., not 1/127 exactly).
    const q1 = [127, -127, 1, -1, 64, -64, 100, -3];
    const values = new Float32Array(64);
    for (let j = 0; j < 32; j++) {
      values[j] = x0[j % 16] * (j < 16 ? 1 : 0.5); // the second half never reaches 63.5 again
      values[32 + j] = q1[j % 8] / 127;
    }
    const bytes = quantizeQ8_0(values);
    expect(bytes.length).toBe(68);
    expect(scaleBits(bytes, 34, 0)).toBe(0x3800);
    expect(scaleBits(bytes, 34, 1)).toBe(0x2008);
    const qs0 = [...new Int8Array(bytes.buffer, 2, 32)];
    // Second half: x/2 at d = 0.5 gives q = round(x), halves away from zero (63.5 -> 64, -2.5 -> -3).
    const q0half = [64, -64, 0, 0, 1, -1, 1, -1, 0, 0, 10, -10, 31, -31, 3, -3];
    expect(qs0).toEqual([...q0, ...q0half]);
    expect([...new Int8Array(bytes.buffer, 36, 32)]).toEqual([...q1, ...q1, ...q1, ...q1]);

    // The decode uses the stored f16 d.
    const back = dequantizeRows('q8_0', bytes, 2, 32);
    expect(back[0]).toBe(63.5);
    expect(back[2]).toBe(0.5);
    expect(back[32]).toBe(127 * f16BitsToF32(0x2008));
    expect(back[32]).not.toBe(1);
  });

  it('stores an all-zero block as zeros', () => {
    expect([...quantizeQ8_0(new Float32Array(32))]).toEqual(new Array(34).fill(0));
  });

  it('stays within ~half a step of random values', () => {
    const x = randomFloats(32 * 64, 8);
    const back = dequantizeRows('q8_0', quantizeQ8_0(x), 64, 32);
    for (let b = 0; b < 64; b++) {
      const amax = Math.max(...x.subarray(b * 32, b * 32 + 32).map(Math.abs));
      // d/2 for rounding q, plus |q| <= 127 times the f16 error of d (2^-11 relative).
      const bound = (amax / 127) * (0.5 + 127 * 2 ** -11) * (1 + 1e-6);
      for (let j = 0; j < 32; j++) if (Math.abs(back[b * 32 + j] - x[b * 32 + j]) > bound) expect.fail(`block ${b} value ${j}`);
    }
  });

  it('refuses a partial block', () => {
    expect(() => quantizeQ8_0(new Float32Array(33))).toThrow(RangeError);
  });
});

describe('Q4_0', () => {
  it('puts values 0..15 in the low nibbles and 16..31 in the high ones', () => {
    // The largest magnitude is -8, so d = -8/-8 = 1 and q = x + 8.
    const values = new Float32Array(32);
    for (let j = 0; j < 16; j++) {
      values[j] = j - 8; // q = j
      values[16 + j] = 7 - j; // q = 15 - j
    }
    const bytes = quantizeQ4_0(values);
    expect(bytes.length).toBe(18);
    expect(scaleBits(bytes, 18, 0)).toBe(0x3c00);
    expect([...bytes.subarray(2)]).toEqual([0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f]);
    expect([...dequantizeRows('q4_0', bytes, 1, 32)]).toEqual([...values]);
  });

  it('takes d from the signed value of largest magnitude and clamps q to 15', () => {
    // Largest magnitude +16: d = 16/-8 = -2, so q = trunc(x/-2 + 8.5); -16 would be q 16, clamped.
    const values = new Float32Array(32).fill(2);
    values[0] = 16;
    values[1] = -16;
    values[2] = 1; // -0.5 + 8.5 = 8
    values[3] = -1; // 0.5 + 8.5 = 9
    values[17] = -6; // 3 + 8.5 -> 11, in the high nibble of byte 1
    const bytes = quantizeQ4_0(values);
    expect(scaleBits(bytes, 18, 0)).toBe(0xc000);
    const q = (j: number) => (j < 16 ? bytes[2 + j] & 15 : bytes[2 + j - 16] >> 4);
    expect([q(0), q(1), q(2), q(3), q(4), q(17), q(16)]).toEqual([0, 15, 8, 9, 7, 11, 7]);
    const back = dequantizeRows('q4_0', bytes, 1, 32);
    expect(plain([back[0], back[1], back[2], back[4], back[17]])).toEqual([16, -14, 0, 2, -6]);
  });

  it('stores an all-zero block as q = 8 and d = -0, byte for byte as llama.cpp', () => {
    // llama.cpp computes d = max / -8 with max = 0.0f: -0.0, stored as f16 0x8000.
    const bytes = quantizeQ4_0(new Float32Array(32));
    expect([...bytes]).toEqual([0x00, 0x80, ...new Array(16).fill(0x88)]);
    expect(plain(dequantizeRows('q4_0', bytes, 1, 32))).toEqual(new Array(32).fill(0));
  });

  it('stays within ~half a step of random values', () => {
    const x = randomFloats(32 * 64, 4);
    const bytes = quantizeQ4_0(x);
    const back = dequantizeRows('q4_0', bytes, 64, 32);
    for (let b = 0; b < 64; b++) {
      const d = f16BitsToF32(scaleBits(bytes, 18, b));
      for (let j = 0; j < 32; j++) {
        // q's rounding costs |d|/2, except that q = 16 (x/d in [7.5, 8]) is clamped to 15, costing up
        // to a whole |d|; the f16 rounding of d adds |q - 8| <= 8 times 2^-11 |d|.
        const clamped = Math.round(back[b * 32 + j] / d) === 7;
        const bound = Math.abs(d) * ((clamped ? 1 : 0.5) + 8 * 2 ** -11) * (1 + 1e-6);
        if (Math.abs(back[b * 32 + j] - x[b * 32 + j]) > bound) expect.fail(`block ${b} value ${j}: ${x[b * 32 + j]} -> ${back[b * 32 + j]}, d ${d}`);
      }
    }
  });
});

describe('dequantizeRows', () => {
  it('decodes f32, f16 and bf16 little-endian', () => {
    const f32Bytes = new Uint8Array(new Float32Array([1.5, -0.1]).buffer);
    expect([...dequantizeRows('f32', f32Bytes, 1, 2)]).toEqual([1.5, Math.fround(-0.1)]);
    expect([...dequantizeRows('f16', Uint8Array.from([0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0xff, 0x7b]), 2, 2)]).toEqual([1, -2, 2 ** -24, 65504]);
    expect([...dequantizeRows('bf16', Uint8Array.from([0x80, 0x3f, 0x49, 0x40]), 1, 2)]).toEqual([1, 3.140625]);
  });

  it('refuses rows of partial blocks and too few bytes instead of reading garbage', () => {
    expect(() => dequantizeRows('q8_0', new Uint8Array(68), 1, 48)).toThrow(RangeError);
    expect(() => dequantizeRows('q4_0', new Uint8Array(17), 1, 32)).toThrow(RangeError);
    expect(() => dequantizeRows('f16', new Uint8Array(6), 2, 2)).toThrow(RangeError);
  });

  it('reads from a view that does not start at its buffer', () => {
    const buf = new Uint8Array(6);
    buf.set([0x00, 0x3c, 0x00, 0x40], 2);
    expect([...dequantizeRows('f16', buf.subarray(2), 1, 2)]).toEqual([1, 2]);
    const q = new Uint8Array(1 + 18);
    q.set(quantizeQ4_0(Float32Array.from({ length: 32 }, (_, j) => (j % 2 ? -8 : 3))), 1);
    expect(dequantizeRows('q4_0', q.subarray(1), 1, 32)[1]).toBe(-8);
  });
});

describe('FP8 E4M3 (float8_e4m3fn)', () => {
  it('decodes the code points the format defines', () => {
    expect(e4m3ToF32(0x38)).toBe(1);
    expect(e4m3ToF32(0xb8)).toBe(-1);
    expect(e4m3ToF32(0x7e)).toBe(448);
    expect(e4m3ToF32(0x08)).toBe(2 ** -6); // smallest normal
    expect(e4m3ToF32(0x07)).toBe(7 * 2 ** -9); // largest subnormal
    expect(e4m3ToF32(0x01)).toBe(2 ** -9);
    expect(e4m3ToF32(0x00)).toBe(0);
    expect(e4m3ToF32(0x7f)).toBeNaN();
    expect(e4m3ToF32(0xff)).toBeNaN();
  });

  it('encodes every finite value back to its own code, rounds to nearest even, saturates at 448', () => {
    for (let b = 0; b < 256; b++) {
      const v = e4m3ToF32(b);
      if (!Number.isNaN(v) && v !== 0) expect(f32ToE4M3(v), `code ${b}`).toBe(b);
    }
    expect(f32ToE4M3(1 + 1 / 16)).toBe(0x38); // tie between 1 and 1.125: even mantissa
    expect(f32ToE4M3(1 + 3 / 16)).toBe(0x3a); // tie between 1.125 and 1.25: even mantissa
    expect(f32ToE4M3(1e6)).toBe(0x7e);
    expect(f32ToE4M3(-1e6)).toBe(0xfe);
    expect(f32ToE4M3(2 ** -11)).toBe(0);
  });
});
