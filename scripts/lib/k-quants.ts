import { f16BitsToF32, f32ToF16Bits } from '../../src/formats/numeric.ts';

/**
 * Simple quantizers for llama.cpp's K-quant blocks (ggml-common.h layouts): per-sub-block scale and
 * minimum from the range of the values, then 6-bit (Q4_K, Q5_K) or 8-bit (Q6_K) scales relative to
 * the super-block's f16 d. Not llama.cpp's error-minimizing search, so their bytes differ from what
 * llama-quantize writes, but they are valid blocks that llama.cpp and the runtime decode the same
 * way: test models made from real-valued weights, for the per-format error table.
 */
export function quantizeKQuant(dtype: 'q4_k' | 'q5_k' | 'q6_k', values: Float32Array): Uint8Array {
  if (values.length % 256) throw new RangeError(`${dtype} quantizes whole super-blocks of 256 values, got ${values.length}`);
  const bb = { q4_k: 144, q5_k: 176, q6_k: 210 }[dtype];
  const out = new Uint8Array((values.length / 256) * bb);
  for (let b = 0; b < values.length / 256; b++) {
    const x = values.subarray(b * 256, (b + 1) * 256);
    const blk = out.subarray(b * bb, (b + 1) * bb);
    if (dtype === 'q6_k') q6k(x, blk);
    else qxk(x, blk, dtype === 'q4_k' ? 4 : 5);
  }
  return out;
}

/** The f16 value a number is stored as. */
const asF16 = (v: number) => f16BitsToF32(f32ToF16Bits(v));

/** Q4_K / Q5_K: 8 sub-blocks of 32, value = d * sc * q - dmin * m with 6-bit sc and m. */
function qxk(x: Float32Array, blk: Uint8Array, bits: 4 | 5): void {
  const maxQ = (1 << bits) - 1;
  const scale = new Float64Array(8);
  const min = new Float64Array(8);
  for (let j = 0; j < 8; j++) {
    const s = x.subarray(32 * j, 32 * j + 32);
    const lo = Math.min(0, ...s);
    scale[j] = (Math.max(...s) - lo) / maxQ;
    min[j] = -lo;
  }
  const d = asF16(Math.max(...scale) / 63);
  const dmin = asF16(Math.max(...min) / 63);
  const sc = Array.from(scale, (s) => (d ? Math.min(63, Math.round(s / d)) : 0));
  const mn = Array.from(min, (m) => (dmin ? Math.min(63, Math.round(m / dmin)) : 0));
  const view = new DataView(blk.buffer, blk.byteOffset, blk.byteLength);
  view.setUint16(0, f32ToF16Bits(d), true);
  view.setUint16(2, f32ToF16Bits(dmin), true);
  // The 12 scale bytes as get_scale_min_k4 reads them back.
  for (let j = 0; j < 4; j++) {
    blk[4 + j] = (sc[j] & 63) | ((sc[j + 4] >> 4) << 6);
    blk[8 + j] = (mn[j] & 63) | ((mn[j + 4] >> 4) << 6);
    blk[12 + j] = (sc[j + 4] & 15) | ((mn[j + 4] & 15) << 4);
  }
  const qs = bits === 4 ? 16 : 48;
  for (let j = 0; j < 8; j++) {
    const step = d * sc[j];
    const off = dmin * mn[j];
    for (let l = 0; l < 32; l++) {
      const q = step ? Math.min(maxQ, Math.max(0, Math.round((x[32 * j + l] + off) / step))) : 0;
      // Values 64c..64c+31 are low nibbles of qs[32c + l], 64c+32.. the high nibbles.
      const c = j >> 1;
      blk[qs + 32 * c + l] |= (q & 15) << (4 * (j & 1));
      if (bits === 5) blk[16 + l] |= (q >> 4) << j;
    }
  }
}

/** Q6_K: 16 sub-blocks of 16 with i8 scales, 6-bit values centred on 32, value = d * sc * (q - 32). */
function q6k(x: Float32Array, blk: Uint8Array): void {
  const scale = new Float64Array(16);
  for (let j = 0; j < 16; j++) {
    const s = x.subarray(16 * j, 16 * j + 16);
    const amax = Math.max(...s.map(Math.abs));
    scale[j] = amax / 31;
  }
  const d = asF16(Math.max(...scale) / 127);
  const view = new DataView(blk.buffer, blk.byteOffset, blk.byteLength);
  view.setUint16(208, f32ToF16Bits(d), true);
  for (let n = 0; n < 2; n++) {
    for (let j = 0; j < 8; j++) {
      const sc = d ? Math.min(127, Math.round(scale[8 * n + j] / d)) : 0;
      view.setInt8(192 + 8 * n + j, sc);
      for (let i = 0; i < 16; i++) {
        const p = 16 * j + i; // position within this half of 128
        const v = x[128 * n + p];
        const q = (sc && d ? Math.min(31, Math.max(-32, Math.round(v / (d * sc)))) : 0) + 32;
        const l = p & 31;
        const t = p >> 5;
        blk[64 * n + l + 32 * (t & 1)] |= (q & 15) << (4 * (t >> 1));
        blk[128 + 32 * n + l] |= (q >> 4) << (2 * t);
      }
    }
  }
}
