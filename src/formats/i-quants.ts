import { iqGridWords, type GridDtype } from './iq-grids.ts';
import { f16BitsToF32 } from './numeric.ts';

/**
 * Float64 decoders of one 256-value super-block of each grid i-quant, as llama.cpp's
 * dequantize_row_iq2_xxs ... dequantize_row_iq1_m read them (ggml-quants.c). Every type works in
 * 32-value sub-blocks of four (IQ2, IQ1) or eight (IQ3) grid points, with a sub-block scale from a
 * 4- or 3-bit field; IQ2 and IQ3 add a sign per value, IQ1 a shift of ±1/8 per 8 or 16 values.
 */

/** The sign bits ggml's ksigns_iq2xs gives 7 stored bits: the eighth makes the count of minus signs even. */
export function signsOf7(bits7: number): number {
  let parity = 0;
  for (let b = bits7; b; b &= b - 1) parity ^= 1;
  return bits7 | (parity << 7);
}

/** Grid point `index` of `grid` as bytes (value j in byte j). */
function pointBytes(grid: Uint32Array, index: number, values: 4 | 8): Uint8Array {
  return new Uint8Array(grid.buffer, grid.byteOffset + index * values, values);
}

/** Writes 8 values: `scale` times the grid values, negated where `signs` has a bit. */
function put8(out: Float64Array, o: number, scale: number, values: ArrayLike<number>, signs: number): void {
  for (let j = 0; j < 8; j++) out[o + j] = scale * values[j] * (signs & (1 << j) ? -1 : 1);
}

/** IQ2_XXS (66 bytes): f16 d; per sub-block 8 bytes: 4 grid indices, then a u32 of 4 x 7 sign bits and a 4-bit scale. */
function decodeIq2Xxs(x: Uint8Array, v: DataView, out: Float64Array, o: number): void {
  const grid = iqGridWords('iq2_xxs');
  const d = f16BitsToF32(v.getUint16(0, true));
  for (let ib = 0; ib < 8; ib++) {
    const at = 2 + 8 * ib;
    const aux = v.getUint32(at + 4, true);
    const db = d * (0.5 + (aux >>> 28)) * 0.25;
    for (let l = 0; l < 4; l++) put8(out, o + 32 * ib + 8 * l, db, pointBytes(grid, x[at + l], 8), signsOf7((aux >>> (7 * l)) & 127));
  }
}

/** IQ2_XS (74 bytes): f16 d; u16 qs[32] (9-bit grid index, 7 sign bits); u8 scales[8] (two 4-bit scales, 16 values each). */
function decodeIq2Xs(x: Uint8Array, v: DataView, out: Float64Array, o: number): void {
  const grid = iqGridWords('iq2_xs');
  const d = f16BitsToF32(v.getUint16(0, true));
  for (let ib = 0; ib < 8; ib++) {
    const sc = x[66 + ib];
    for (let l = 0; l < 4; l++) {
      const q = v.getUint16(2 + 2 * (4 * ib + l), true);
      const db = d * (0.5 + ((sc >> (4 * (l >> 1))) & 15)) * 0.25;
      put8(out, o + 32 * ib + 8 * l, db, pointBytes(grid, q & 511, 8), signsOf7(q >> 9));
    }
  }
}

/** IQ2_S (82 bytes): f16 d; u8 qs[32] (low 8 index bits); u8 signs[32]; u8 qh[8] (2 index bits per point); u8 scales[8]. */
function decodeIq2S(x: Uint8Array, v: DataView, out: Float64Array, o: number): void {
  const grid = iqGridWords('iq2_s');
  const d = f16BitsToF32(v.getUint16(0, true));
  for (let ib = 0; ib < 8; ib++) {
    const sc = x[74 + ib];
    for (let l = 0; l < 4; l++) {
      const index = x[2 + 4 * ib + l] | (((x[66 + ib] >> (2 * l)) & 3) << 8);
      const db = d * (0.5 + ((sc >> (4 * (l >> 1))) & 15)) * 0.25;
      put8(out, o + 32 * ib + 8 * l, db, pointBytes(grid, index, 8), x[34 + 4 * ib + l]);
    }
  }
}

/** IQ3_XXS (98 bytes): f16 d; u8 qs[64] (grid indices, 4 values each); u32[8] of 4 x 7 sign bits and a 4-bit scale. */
function decodeIq3Xxs(x: Uint8Array, v: DataView, out: Float64Array, o: number): void {
  const grid = iqGridWords('iq3_xxs');
  const d = f16BitsToF32(v.getUint16(0, true));
  for (let ib = 0; ib < 8; ib++) {
    const aux = v.getUint32(66 + 4 * ib, true);
    const db = d * (0.5 + (aux >>> 28)) * 0.5;
    for (let l = 0; l < 4; l++) {
      const values = [...pointBytes(grid, x[2 + 8 * ib + 2 * l], 4), ...pointBytes(grid, x[3 + 8 * ib + 2 * l], 4)];
      put8(out, o + 32 * ib + 8 * l, db, values, signsOf7((aux >>> (7 * l)) & 127));
    }
  }
}

/** IQ3_S (110 bytes): f16 d; u8 qs[64] (low 8 index bits); u8 qh[8] (the ninth); u8 signs[32]; u8 scales[4] (4-bit, odd multipliers). */
function decodeIq3S(x: Uint8Array, v: DataView, out: Float64Array, o: number): void {
  const grid = iqGridWords('iq3_s');
  const d = f16BitsToF32(v.getUint16(0, true));
  for (let ib = 0; ib < 8; ib++) {
    const db = d * (1 + 2 * ((x[106 + (ib >> 1)] >> (4 * (ib & 1))) & 15));
    const qh = x[66 + ib];
    for (let l = 0; l < 4; l++) {
      const i1 = x[2 + 8 * ib + 2 * l] | (((qh >> (2 * l)) & 1) << 8);
      const i2 = x[3 + 8 * ib + 2 * l] | (((qh >> (2 * l + 1)) & 1) << 8);
      put8(out, o + 32 * ib + 8 * l, db, [...pointBytes(grid, i1, 4), ...pointBytes(grid, i2, 4)], x[74 + 4 * ib + l]);
    }
  }
}

/** The IQ1 grids hold -1, 0, 1 as signed bytes; every value is shifted by ±IQ1_DELTA before scaling. */
const IQ1_DELTA = 0.125;
const int8 = (b: number) => (b << 24) >> 24;

/** IQ1_S (50 bytes): f16 d; u8 qs[32] (low 8 index bits); u16 qh[8]: 4 x 3 index bits, a 3-bit scale, the shift's sign. */
function decodeIq1S(x: Uint8Array, v: DataView, out: Float64Array, o: number): void {
  const grid = iqGridWords('iq1_s');
  const d = f16BitsToF32(v.getUint16(0, true));
  for (let ib = 0; ib < 8; ib++) {
    const qh = v.getUint16(34 + 2 * ib, true);
    const dl = d * (2 * ((qh >> 12) & 7) + 1);
    const delta = qh & 0x8000 ? -IQ1_DELTA : IQ1_DELTA;
    for (let l = 0; l < 4; l++) {
      const point = pointBytes(grid, x[2 + 4 * ib + l] | (((qh >> (3 * l)) & 7) << 8), 8);
      for (let j = 0; j < 8; j++) out[o + 32 * ib + 8 * l + j] = dl * (int8(point[j]) + delta);
    }
  }
}

/**
 * IQ1_M (56 bytes, no d field): u8 qs[32]; u8 qh[16] (per point 3 index bits and the shift's sign);
 * u16 scales[4]: four 3-bit scales each (one per 16 values), and in their top nibbles the f16 d.
 */
function decodeIq1M(x: Uint8Array, v: DataView, out: Float64Array, o: number): void {
  const grid = iqGridWords('iq1_m');
  const sc = [0, 1, 2, 3].map((i) => v.getUint16(48 + 2 * i, true));
  const d = f16BitsToF32((sc[0] >> 12) | ((sc[1] >> 8) & 0xf0) | ((sc[2] >> 4) & 0xf00) | (sc[3] & 0xf000));
  for (let ib = 0; ib < 8; ib++) {
    for (let l = 0; l < 4; l++) {
      const qh = x[32 + 2 * ib + (l >> 1)] >> (4 * (l & 1));
      const dl = d * (2 * ((sc[ib >> 1] >> (6 * (ib & 1) + 3 * (l >> 1))) & 7) + 1);
      const delta = qh & 8 ? -IQ1_DELTA : IQ1_DELTA;
      const point = pointBytes(grid, x[4 * ib + l] | ((qh & 7) << 8), 8);
      for (let j = 0; j < 8; j++) out[o + 32 * ib + 8 * l + j] = dl * (int8(point[j]) + delta);
    }
  }
}

/** Decoders of one 256-value super-block of each grid i-quant. */
export const GRID_IQUANT_DECODERS: Record<GridDtype, (x: Uint8Array, v: DataView, out: Float64Array, o: number) => void> = {
  iq2_xxs: decodeIq2Xxs,
  iq2_xs: decodeIq2Xs,
  iq2_s: decodeIq2S,
  iq3_xxs: decodeIq3Xxs,
  iq3_s: decodeIq3S,
  iq1_s: decodeIq1S,
  iq1_m: decodeIq1M,
};
