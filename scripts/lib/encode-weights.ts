import { affineBits, affineHalfHeader, bnb4BitCode, DTYPE_LAYOUTS, isAffineDtype, isZeroPointDtype, zeroPointBits, type AffineBits, type Bnb4BitCode, type WeightDtype } from '../../src/formats/dtypes.ts';
import { f16BitsToF32, f32ToBf16, f32ToF16, f32ToF16Bits, BNB_4BIT_VALUES, quantizeF8E4M3_128, quantizeQ4_0, quantizeQ8_0 } from '../../src/formats/numeric.ts';
import type { GridDtype } from '../../src/formats/iq-grids.ts';
import type { Rng } from './random.ts';

/** f32 values (rows of whole blocks for quantized types) in a weight type's stored bytes. */
export function encodeWeights(dtype: WeightDtype, values: Float32Array): Uint8Array {
  if (isKQuantDtype(dtype)) throw new RangeError(`no ${dtype} quantizer here: use randomKQuantBytes or k-quants.ts for test data`);
  if (isZeroPointDtype(dtype)) return quantizeZeroPoint(values, zeroPointBits(dtype), DTYPE_LAYOUTS[dtype].blockElems);
  if (isAffineDtype(dtype)) return quantizeAffine(values, affineBits(dtype), DTYPE_LAYOUTS[dtype].blockElems, affineHalfHeader(dtype));
  switch (dtype) {
    case 'f32':
      return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    case 'f16':
      return new Uint8Array(f32ToF16(values).buffer);
    case 'bf16':
      return new Uint8Array(f32ToBf16(values).buffer);
    case 'q8_0':
      return quantizeQ8_0(values);
    case 'q4_0':
      return quantizeQ4_0(values);
    case 'q4_1':
      return quantizeQ4_1(values);
    case 'q5_0':
      return quantizeQ5_0(values);
    case 'q5_1':
      return quantizeQ5_1(values);
    case 'f8e4m3_128':
      return quantizeF8E4M3_128(values);
    case 'i8_128':
      return quantizeI8_128(values);
    case 'nf4_64':
    case 'fp4_64':
      return quantizeBnb4Bit64(values, bnb4BitCode(dtype));
  }
}

/**
 * Affine groups in the runtime's MLX layout: per group scale = (max - min) / (2^bits - 1) and bias =
 * min (f32; MLX's own quantizer anchors at the larger-magnitude edge, decoded alike),
 * q = round((x - bias) / scale), packed as one bit stream, low bits first.
 */
export function quantizeAffine(values: Float32Array, bits: AffineBits, group: number, half: boolean): Uint8Array {
  const head = half ? 4 : 8;
  const bb = head + (group * bits) / 8;
  const out = new Uint8Array((values.length / group) * bb);
  const view = new DataView(out.buffer);
  const top = (1 << bits) - 1;
  const round = half ? (x: number) => f16BitsToF32(f32ToF16Bits(x)) : Math.fround;
  for (let b = 0; b < values.length / group; b++) {
    const block = values.subarray(b * group, (b + 1) * group);
    const min = round(Math.min(...block));
    const scale = round((Math.max(...block) - min) / top) || 1;
    if (half) view.setUint32(b * bb, f32ToF16Bits(scale) | (f32ToF16Bits(min) << 16), true);
    else {
      view.setFloat32(b * bb, scale, true);
      view.setFloat32(b * bb + 4, min, true);
    }
    const words = new Uint32Array(out.buffer, b * bb + head, (group * bits) / 32);
    block.forEach((x, i) => {
      const q = Math.min(top, Math.max(0, Math.round((x - min) / scale)));
      const [word, shift] = [(i * bits) >> 5, (i * bits) & 31];
      words[word] |= q << shift;
      if (shift + bits > 32) words[word + 1] |= q >>> (32 - shift);
    });
  }
  return out;
}

/** Symmetric INT8 in the runtime's layout: per 128 values the f32 scale max|x| / 127, then round(x / scale). */
export function quantizeI8_128(values: Float32Array): Uint8Array {
  const out = new Uint8Array((values.length / 128) * 132);
  const view = new DataView(out.buffer);
  for (let b = 0; b < values.length / 128; b++) {
    const block = values.subarray(b * 128, b * 128 + 128);
    const scale = Math.fround(Math.max(...block.map(Math.abs)) / 127) || 1;
    view.setFloat32(b * 132, scale, true);
    block.forEach((x, j) => view.setInt8(b * 132 + 4 + j, Math.max(-128, Math.min(127, Math.round(x / scale)))));
  }
  return out;
}

/** Index of the level nearest to x (the first of two at equal distance). */
export function nearestLevel(levels: ArrayLike<number>, x: number): number {
  let best = 0;
  for (let i = 1; i < levels.length; i++) if (Math.abs(levels[i] - x) < Math.abs(levels[best] - x)) best = i;
  return best;
}

const FP4_MAGNITUDES = BNB_4BIT_VALUES.fp4.slice(0, 8);

/**
 * bitsandbytes' 4-bit code of x, a fraction of its block's absmax: NF4's nearest level; FP4's
 * nearest magnitude with the sign bit set for x < 0, as its dQuantizeFP4 does (so -0 is code 8).
 */
function bnb4BitQuantize(type: Bnb4BitCode, x: number): number {
  return type === 'fp4' ? nearestLevel(FP4_MAGNITUDES, Math.abs(x)) | (x < 0 ? 8 : 0) : nearestLevel(BNB_4BIT_VALUES.nf4, x);
}

/** bitsandbytes quantize_4bit, blocks of 64: each block's absmax (f32) and the codes, two a byte, the first in the high nibble. */
export function bnb4BitBlocks(values: Float32Array, type: Bnb4BitCode): { absmax: Float32Array; packed: Uint8Array } {
  const absmax = Float32Array.from({ length: values.length / 64 }, (_, b) => Math.max(...values.subarray(b * 64, b * 64 + 64).map(Math.abs)));
  const packed = new Uint8Array(values.length / 2);
  for (let i = 0; i < values.length; i++) packed[i >> 1] |= bnb4BitQuantize(type, values[i] / absmax[i >> 6]) << (i & 1 ? 0 : 4);
  return { absmax, packed };
}

/** The runtime's `nf4_64` / `fp4_64` rows: per 64 values the f32 absmax, then its 32 bytes of codes. */
function quantizeBnb4Bit64(values: Float32Array, type: Bnb4BitCode): Uint8Array {
  const { absmax, packed } = bnb4BitBlocks(values, type);
  const out = new Uint8Array(absmax.length * 36);
  const view = new DataView(out.buffer);
  absmax.forEach((a, b) => {
    view.setFloat32(b * 36, a, true);
    out.set(packed.subarray(b * 32, b * 32 + 32), b * 36 + 4);
  });
  return out;
}

/** llama.cpp quantize_row_q4_1_ref: d = (max - min) / 15, m = min, q = min(15, trunc((x - min) / d + 0.5)). */
export function quantizeQ4_1(values: Float32Array): Uint8Array {
  const out = new Uint8Array((values.length / 32) * 20);
  const view = new DataView(out.buffer);
  for (let b = 0; b < values.length / 32; b++) {
    const block = values.subarray(b * 32, b * 32 + 32);
    const min = Math.min(...block);
    const d = Math.fround((Math.max(...block) - min) / 15);
    const id = d ? Math.fround(1 / d) : 0;
    view.setUint16(b * 20, f32ToF16Bits(d), true);
    view.setUint16(b * 20 + 2, f32ToF16Bits(min), true);
    for (let j = 0; j < 16; j++) {
      const q = (x: number) => Math.min(15, Math.trunc(Math.fround(Math.fround((x - min) * id) + 0.5)));
      out[b * 20 + 4 + j] = q(block[j]) | (q(block[16 + j]) << 4);
    }
  }
  return out;
}

/** llama.cpp quantize_row_q5_0_ref: d = (signed value of max magnitude) / -16, q = min(31, trunc(x/d + 16.5)). */
export function quantizeQ5_0(values: Float32Array): Uint8Array {
  const out = new Uint8Array((values.length / 32) * 22);
  const view = new DataView(out.buffer);
  for (let b = 0; b < values.length / 32; b++) {
    const block = values.subarray(b * 32, b * 32 + 32);
    const max = block.reduce((m, v) => (Math.abs(v) > Math.abs(m) ? v : m), 0);
    const d = Math.fround(max / -16);
    const id = d ? Math.fround(1 / d) : 0;
    view.setUint16(b * 22, f32ToF16Bits(d), true);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const q = (x: number) => Math.min(31, Math.trunc(Math.fround(Math.fround(x * id) + 16.5)));
      const lo = q(block[j]);
      const hi = q(block[16 + j]);
      out[b * 22 + 6 + j] = (lo & 15) | ((hi & 15) << 4);
      qh |= ((lo >> 4) << j) | ((hi >> 4) << (j + 16));
    }
    view.setUint32(b * 22 + 2, qh >>> 0, true);
  }
  return out;
}

/** llama.cpp quantize_row_q5_1_ref: d = (max - min) / 31, m = min, q = trunc((x - min) / d + 0.5). */
export function quantizeQ5_1(values: Float32Array): Uint8Array {
  const out = new Uint8Array((values.length / 32) * 24);
  const view = new DataView(out.buffer);
  for (let b = 0; b < values.length / 32; b++) {
    const block = values.subarray(b * 32, b * 32 + 32);
    const min = Math.min(...block);
    const d = Math.fround((Math.max(...block) - min) / 31);
    const id = d ? Math.fround(1 / d) : 0;
    view.setUint16(b * 24, f32ToF16Bits(d), true);
    view.setUint16(b * 24 + 2, f32ToF16Bits(min), true);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const q = (x: number) => Math.min(31, Math.trunc(Math.fround(Math.fround((x - min) * id) + 0.5)));
      const lo = q(block[j]);
      const hi = q(block[16 + j]);
      out[b * 24 + 8 + j] = (lo & 15) | ((hi & 15) << 4);
      qh |= ((lo >> 4) << j) | ((hi >> 4) << (j + 16));
    }
    view.setUint32(b * 24 + 4, qh >>> 0, true);
  }
  return out;
}

/**
 * Asymmetric 4- or 8-bit groups in the runtime's repacked GPTQ layout: integer zero z, y = (q - z) d;
 * 4-bit byte j holds values j (low nibble) and j + G/2, 8-bit byte j value j.
 */
function quantizeZeroPoint(values: Float32Array, bits: 4 | 8, group: number): Uint8Array {
  const top = (1 << bits) - 1;
  const bb = 4 + (group * bits) / 8;
  const out = new Uint8Array((values.length / group) * bb);
  const view = new DataView(out.buffer);
  for (let b = 0; b < values.length / group; b++) {
    const block = values.subarray(b * group, (b + 1) * group);
    const min = Math.min(0, ...block);
    const max = Math.max(0, ...block);
    const d = (max - min) / top || 1;
    const z = Math.min(top, Math.max(0, Math.round(-min / d)));
    view.setUint16(b * bb, f32ToF16Bits(d), true);
    view.setUint16(b * bb + 2, f32ToF16Bits(z), true);
    const q = (x: number) => Math.min(top, Math.max(0, Math.round(x / d) + z));
    if (bits === 8) block.forEach((x, j) => (out[b * bb + 4 + j] = q(x)));
    else for (let j = 0; j < group / 2; j++) out[b * bb + 4 + j] = q(block[j]) | (q(block[group / 2 + j]) << 4);
  }
  return out;
}

/** Block types the tests fill with random but valid blocks (no quantizer here). */
export type KQuantDtype = 'q2_k' | 'q3_k' | 'q4_k' | 'q5_k' | 'q6_k' | 'iq4_nl' | 'iq4_xs' | GridDtype;

/**
 * Where each type keeps its f16 super-block scale(s), and a range that keeps values near unit scale
 * (IQ1_M has no f16 field: its d goes into the scales' top nibbles).
 */
const K_SCALES: Record<KQuantDtype, { at: number[]; lo: number; hi: number }> = {
  q2_k: { at: [80, 82], lo: 0.01, hi: 0.05 },
  q3_k: { at: [108], lo: 0.0005, hi: 0.002 },
  q4_k: { at: [0, 2], lo: 0.002, hi: 0.01 },
  q5_k: { at: [0, 2], lo: 0.002, hi: 0.01 },
  q6_k: { at: [208], lo: 0.0005, hi: 0.002 },
  iq4_nl: { at: [0], lo: 0.002, hi: 0.01 },
  iq4_xs: { at: [0], lo: 0.00005, hi: 0.0002 },
  iq2_xxs: { at: [0], lo: 0.002, hi: 0.008 },
  iq2_xs: { at: [0], lo: 0.002, hi: 0.008 },
  iq2_s: { at: [0], lo: 0.002, hi: 0.008 },
  iq3_xxs: { at: [0], lo: 0.001, hi: 0.004 },
  iq3_s: { at: [0], lo: 0.001, hi: 0.004 },
  iq1_s: { at: [0], lo: 0.01, hi: 0.04 },
  iq1_m: { at: [], lo: 0.01, hi: 0.04 },
};

export function isKQuantDtype(t: string): t is KQuantDtype {
  return Object.hasOwn(K_SCALES, t);
}

/** Sets a bit field of `bits` bits at bit `shift` of the little-endian bytes from `at`. */
function setField(block: Uint8Array, at: number, shift: number, bits: number, value: number): void {
  const byte = at + (shift >> 3);
  const s = shift & 7;
  const word = block[byte] | (block[byte + 1] << 8);
  const mask = ((1 << bits) - 1) << s;
  const next = (word & ~mask) | ((value << s) & mask);
  block[byte] = next & 0xff;
  if (s + bits > 8) block[byte + 1] = next >> 8;
}

/**
 * Sub-block scales within about 2x of each other, as a quantizer picks them: uniformly random codes
 * make 30-60x outliers that no real file has and llama.cpp's 8-bit activations cannot follow. Each
 * entry writes one super-block's scale fields (codes from the top half of their range).
 */
const SUB_SCALES: Partial<Record<KQuantDtype, (block: Uint8Array, rng: Rng) => void>> = {
  iq4_xs: (b, rng) => {
    for (let ib = 0; ib < 8; ib++) {
      const ls = 40 + rng.int(16);
      setField(b, 4, 4 * ib, 4, ls & 15);
      setField(b, 2, 2 * ib, 2, ls >> 4);
    }
  },
  // A 4-bit scale in the top nibble of each sub-block's second word.
  iq2_xxs: (b, rng) => { for (let ib = 0; ib < 8; ib++) setField(b, 2 + 8 * ib + 7, 4, 4, 8 + rng.int(8)); },
  iq3_xxs: (b, rng) => { for (let ib = 0; ib < 8; ib++) setField(b, 66 + 4 * ib + 3, 4, 4, 8 + rng.int(8)); },
  // Two 4-bit scales per sub-block byte.
  iq2_xs: (b, rng) => { for (let i = 0; i < 16; i++) setField(b, 66, 4 * i, 4, 8 + rng.int(8)); },
  iq2_s: (b, rng) => { for (let i = 0; i < 16; i++) setField(b, 74, 4 * i, 4, 8 + rng.int(8)); },
  iq3_s: (b, rng) => { for (let i = 0; i < 8; i++) setField(b, 106, 4 * i, 4, 8 + rng.int(8)); },
  // A 3-bit scale at bit 12 of each sub-block's u16.
  iq1_s: (b, rng) => { for (let ib = 0; ib < 8; ib++) setField(b, 34 + 2 * ib, 12, 3, 4 + rng.int(4)); },
  // Four 3-bit scales in the low 12 bits of each u16, and the f16 d in the four top nibbles.
  iq1_m: (b, rng) => {
    const d = f32ToF16Bits(rng.uniform(K_SCALES.iq1_m.lo, K_SCALES.iq1_m.hi));
    for (let w = 0; w < 4; w++) {
      for (let i = 0; i < 4; i++) setField(b, 48 + 2 * w, 3 * i, 3, 4 + rng.int(4));
      setField(b, 48 + 2 * w, 12, 4, (d >> (4 * w)) & 15);
    }
  },
};

/**
 * Random but valid blocks of the types there is no quantizer for here (llama.cpp layouts): random
 * quants, grid indices and signs, packed scales near each other, small finite f16 super-block
 * scales. Tests compare the kernels with the float64 decode of these very bytes.
 */
export function randomKQuantBytes(dtype: KQuantDtype, rows: number, cols: number, rng: Rng): Uint8Array {
  const { blockElems, blockBytes } = DTYPE_LAYOUTS[dtype];
  if (cols % blockElems) throw new RangeError(`${dtype} rows hold multiples of ${blockElems} values, got ${cols}`);
  const out = new Uint8Array((rows * cols * blockBytes) / blockElems);
  for (let i = 0; i < out.length; i++) out[i] = rng.int(256);
  const view = new DataView(out.buffer);
  const { at, lo, hi } = K_SCALES[dtype];
  for (let b = 0; b < out.length; b += blockBytes) {
    for (const o of at) view.setUint16(b + o, f32ToF16Bits(rng.uniform(lo, hi)), true);
    SUB_SCALES[dtype]?.(out.subarray(b, b + blockBytes), rng);
  }
  return out;
}
