import { affineBits, affineHalfHeader, bnb4BitCode, type Bnb4BitCode, DTYPE_LAYOUTS, isAffineDtype, isZeroPointDtype, zeroPointBits, rowBytes, type DtypeLayout, type WeightDtype } from './dtypes.ts';
import { GRID_IQUANT_DECODERS } from './i-quants.ts';

/**
 * Number formats of stored weights: IEEE half, bfloat16, FP8 E4M3, llama.cpp's blocks and the
 * runtime's repacks of quantized safetensors checkpoints (dtypes.ts).
 * The decoders return float64 and are the tests' oracle for the in-shader decoding.
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** f32 -> IEEE f16 bits, round to nearest even (subnormals, overflow to inf, NaN kept). */
export function f32ToF16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // may carry into the exponent: still correct
  return sign | h;
}

/** IEEE f16 bits -> value (exact: every f16 is a double). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** f32 -> bfloat16 bits, round to nearest even as torch does (NaN stays NaN). */
export function f32ToBf16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** bfloat16 bits -> value (exact). */
export function bf16BitsToF32(b: number): number {
  u32[0] = (b << 16) >>> 0;
  return f32[0];
}

/** Values (rounded to f32 first) -> f16 bits, round to nearest even. */
export function f32ToF16(values: ArrayLike<number>): Uint16Array {
  return Uint16Array.from({ length: values.length }, (_, i) => f32ToF16Bits(values[i]));
}

/** Values (rounded to f32 first) -> bfloat16 bits, round to nearest even. */
export function f32ToBf16(values: ArrayLike<number>): Uint16Array {
  return Uint16Array.from({ length: values.length }, (_, i) => f32ToBf16Bits(values[i]));
}

/** f16 bits -> values. */
export function f16ToF32(bits: ArrayLike<number>): Float32Array {
  return Float32Array.from({ length: bits.length }, (_, i) => f16BitsToF32(bits[i]));
}

/** bfloat16 bits -> values. */
export function bf16ToF32(bits: ArrayLike<number>): Float32Array {
  return Float32Array.from({ length: bits.length }, (_, i) => bf16BitsToF32(bits[i]));
}

/**
 * FP8 E4M3 ("float8_e4m3fn") byte -> value: sign, 4 exponent bits (bias 7), 3 mantissa bits; exponent 0
 * is subnormal; no infinities; S.1111.111 is NaN; the largest finite value is 448.
 */
export function e4m3ToF32(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const e = (b >> 3) & 15;
  const m = b & 7;
  if (e === 15 && m === 7) return NaN;
  return e === 0 ? sign * m * 2 ** -9 : sign * (8 + m) * 2 ** (e - 10);
}

/** value -> the nearest E4M3 byte (ties to even), saturating at ±448 as torch's float8 casts do. */
export function f32ToE4M3(v: number): number {
  if (Number.isNaN(v)) return 0x7f;
  const sign = v < 0 || Object.is(v, -0) ? 0x80 : 0;
  const a = Math.min(Math.abs(v), 448);
  // Spacing of representable values around a: 2^-9 below 2^-6 (subnormals), else 2^(floor(log2 a) - 3).
  const exp = a < 2 ** -6 ? -6 : Math.floor(Math.log2(a));
  const step = 2 ** (exp - 3);
  let q = a / step;
  const f = Math.floor(q);
  q = q - f > 0.5 || (q - f === 0.5 && f % 2 === 1) ? f + 1 : f;
  const r = q * step; // may round up to the next binade: still exact
  if (r === 0) return sign;
  if (r < 2 ** -6) return sign | (r / 2 ** -9);
  const e = Math.floor(Math.log2(r));
  return sign | ((e + 7) << 3) | (r / 2 ** (e - 3) - 8);
}

/**
 * Rows of whole 128-value blocks -> the runtime's FP8 layout (f32 scale, 128 E4M3 bytes per block),
 * scale = max|x| / 448 per block as FP8 checkpoints choose it: quantize-on-load's FP8.
 */
export function quantizeF8E4M3_128(values: Float32Array): Uint8Array {
  if (values.length % 128) throw new RangeError(`FP8 blocks hold 128 values, got ${values.length}`);
  const out = new Uint8Array((values.length / 128) * 132);
  const view = new DataView(out.buffer);
  for (let b = 0; b < values.length / 128; b++) {
    let amax = 0;
    for (let j = 0; j < 128; j++) amax = Math.max(amax, Math.abs(values[b * 128 + j]));
    const scale = Math.fround(amax / 448) || 1;
    view.setFloat32(b * 132, scale, true);
    for (let j = 0; j < 128; j++) out[b * 132 + 4 + j] = f32ToE4M3(values[b * 128 + j] / scale);
  }
  return out;
}

/** llama.cpp quantize_row_q8_0_ref: per 32 values, d = max|x| / 127, q = round(x / d). */
export function quantizeQ8_0(values: Float32Array): Uint8Array {
  if (values.length % 32) throw new RangeError(`Q8_0 quantizes whole blocks of 32 values, got ${values.length}`);
  const out = new Uint8Array((values.length / 32) * 34);
  const view = new DataView(out.buffer);
  for (let b = 0; b < values.length / 32; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(values[b * 32 + j]));
    // f32 arithmetic throughout, as the C reference: the same bytes as llama.cpp writes.
    const d = Math.fround(amax / 127);
    const id = d ? Math.fround(1 / d) : 0;
    view.setUint16(b * 34, f32ToF16Bits(d), true);
    for (let j = 0; j < 32; j++) view.setInt8(b * 34 + 2 + j, roundHalfAway(Math.fround(values[b * 32 + j] * id)));
  }
  return out;
}

/** llama.cpp quantize_row_q4_0_ref: d = (signed value of max magnitude) / -8, q = min(15, trunc(x/d + 8.5)). */
export function quantizeQ4_0(values: Float32Array): Uint8Array {
  if (values.length % 32) throw new RangeError(`Q4_0 quantizes whole blocks of 32 values, got ${values.length}`);
  const out = new Uint8Array((values.length / 32) * 18);
  const view = new DataView(out.buffer);
  for (let b = 0; b < values.length / 32; b++) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 32; j++) {
      const v = values[b * 32 + j];
      if (Math.abs(v) > amax) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = Math.fround(max / -8);
    const id = d ? Math.fround(1 / d) : 0;
    view.setUint16(b * 18, f32ToF16Bits(d), true);
    for (let j = 0; j < 16; j++) {
      const lo = Math.min(15, Math.trunc(Math.fround(Math.fround(values[b * 32 + j] * id) + 8.5)));
      const hi = Math.min(15, Math.trunc(Math.fround(Math.fround(values[b * 32 + 16 + j] * id) + 8.5)));
      out[b * 18 + 2 + j] = lo | (hi << 4);
    }
  }
  return out;
}

function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/**
 * bitsandbytes' NF4 levels (the quantiles of a normal distribution scaled to [-1, 1], QLoRA): the
 * float32 values its quant_map holds, written as the shortest decimals that give them.
 */
export const NF4_VALUES = [
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
  0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
].map(Math.fround);

/**
 * bitsandbytes' FP4 levels (1 sign, 2 exponent, 1 mantissa bit; codes 0..7 are 0, 0.0625, 8, 12, 4, 6,
 * 2, 3, then the same negated) divided by their max, 12: the float32 values its quant_map holds
 * (+0 at code 8, where its CUDA lookup table, kernels.cu fp4_dequantization_lut, gives -0: the same
 * product).
 */
export const FP4_VALUES = [0, 0.0625, 8, 12, 4, 6, 2, 3, 0, -0.0625, -8, -12, -4, -6, -2, -3].map((v) => Math.fround(v / 12));

/** The 16 levels of each bitsandbytes 4-bit type, by its quant_type. */
export const BNB_4BIT_VALUES: Record<Bnb4BitCode, readonly number[]> = { nf4: NF4_VALUES, fp4: FP4_VALUES };

/** The 16 non-linear levels of IQ4_NL and IQ4_XS (ggml-common.h kvalues_iq4nl). */
export const IQ4_NL_VALUES = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

/** Float64 decode of `rows` x `cols` stored values: the reference for every weight type. */
export function dequantizeRows(dtype: WeightDtype, bytes: Uint8Array, rows: number, cols: number): Float64Array {
  const need = rows * rowBytes(dtype, cols);
  if (bytes.length < need) throw new RangeError(`${rows} x ${cols} ${dtype} values need ${need} bytes, got ${bytes.length}`);
  const n = rows * cols;
  const out = new Float64Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isZeroPointDtype(dtype)) {
    decodeZeroPoint(bytes, view, out, zeroPointBits(dtype), DTYPE_LAYOUTS[dtype]);
    return out;
  }
  if (isAffineDtype(dtype)) {
    decodeAffine(view, out, affineBits(dtype), affineHalfHeader(dtype), DTYPE_LAYOUTS[dtype]);
    return out;
  }
  switch (dtype) {
    case 'f32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'f16':
      for (let i = 0; i < n; i++) out[i] = f16BitsToF32(view.getUint16(i * 2, true));
      break;
    case 'bf16':
      for (let i = 0; i < n; i++) out[i] = bf16BitsToF32(view.getUint16(i * 2, true));
      break;
    case 'q8_0':
      for (let b = 0; b < n / 32; b++) {
        const d = f16BitsToF32(view.getUint16(b * 34, true));
        for (let j = 0; j < 32; j++) out[b * 32 + j] = view.getInt8(b * 34 + 2 + j) * d;
      }
      break;
    case 'q4_0':
      for (let b = 0; b < n / 32; b++) {
        const d = f16BitsToF32(view.getUint16(b * 18, true));
        for (let j = 0; j < 16; j++) {
          const q = bytes[b * 18 + 2 + j];
          out[b * 32 + j] = ((q & 15) - 8) * d;
          out[b * 32 + 16 + j] = ((q >> 4) - 8) * d;
        }
      }
      break;
    case 'q4_1':
      for (let b = 0; b < n / 32; b++) {
        const d = f16BitsToF32(view.getUint16(b * 20, true));
        const m = f16BitsToF32(view.getUint16(b * 20 + 2, true));
        for (let j = 0; j < 16; j++) {
          const q = bytes[b * 20 + 4 + j];
          out[b * 32 + j] = (q & 15) * d + m;
          out[b * 32 + 16 + j] = (q >> 4) * d + m;
        }
      }
      break;
    case 'q5_0':
      for (let b = 0; b < n / 32; b++) {
        const d = f16BitsToF32(view.getUint16(b * 22, true));
        const qh = view.getUint32(b * 22 + 2, true);
        for (let j = 0; j < 16; j++) {
          const q = bytes[b * 22 + 6 + j];
          out[b * 32 + j] = ((q & 15) + ((qh >>> j) & 1) * 16 - 16) * d;
          out[b * 32 + 16 + j] = ((q >> 4) + ((qh >>> (j + 16)) & 1) * 16 - 16) * d;
        }
      }
      break;
    case 'q5_1':
      for (let b = 0; b < n / 32; b++) {
        const d = f16BitsToF32(view.getUint16(b * 24, true));
        const m = f16BitsToF32(view.getUint16(b * 24 + 2, true));
        const qh = view.getUint32(b * 24 + 4, true);
        for (let j = 0; j < 16; j++) {
          const q = bytes[b * 24 + 8 + j];
          out[b * 32 + j] = ((q & 15) + ((qh >>> j) & 1) * 16) * d + m;
          out[b * 32 + 16 + j] = ((q >> 4) + ((qh >>> (j + 16)) & 1) * 16) * d + m;
        }
      }
      break;
    case 'f8e4m3_128':
      for (let b = 0; b < n / 128; b++) {
        const scale = view.getFloat32(b * 132, true);
        for (let j = 0; j < 128; j++) out[b * 128 + j] = e4m3ToF32(bytes[b * 132 + 4 + j]) * scale;
      }
      break;
    case 'i8_128':
      for (let b = 0; b < n / 128; b++) {
        const scale = view.getFloat32(b * 132, true);
        for (let j = 0; j < 128; j++) out[b * 128 + j] = view.getInt8(b * 132 + 4 + j) * scale;
      }
      break;
    case 'nf4_64':
    case 'fp4_64': {
      const levels = BNB_4BIT_VALUES[bnb4BitCode(dtype)];
      for (let b = 0; b < n / 64; b++) {
        const absmax = view.getFloat32(b * 36, true);
        for (let j = 0; j < 32; j++) {
          const q = bytes[b * 36 + 4 + j];
          out[b * 64 + 2 * j] = levels[q >> 4] * absmax;
          out[b * 64 + 2 * j + 1] = levels[q & 15] * absmax;
        }
      }
      break;
    }
    case 'iq4_nl':
      for (let b = 0; b < n / 32; b++) {
        const d = f16BitsToF32(view.getUint16(b * 18, true));
        for (let j = 0; j < 16; j++) {
          const q = bytes[b * 18 + 2 + j];
          out[b * 32 + j] = d * IQ4_NL_VALUES[q & 15];
          out[b * 32 + 16 + j] = d * IQ4_NL_VALUES[q >> 4];
        }
      }
      break;
    case 'iq4_xs':
      for (let b = 0; b < n / 256; b++) {
        const o = b * 136;
        const d = f16BitsToF32(view.getUint16(o, true));
        const scalesH = view.getUint16(o + 2, true);
        for (let ib = 0; ib < 8; ib++) {
          const ls = ((bytes[o + 4 + (ib >> 1)] >> (4 * (ib & 1))) & 15) | (((scalesH >> (2 * ib)) & 3) << 4);
          const dl = d * (ls - 32);
          for (let j = 0; j < 16; j++) {
            const q = bytes[o + 8 + 16 * ib + j];
            out[b * 256 + 32 * ib + j] = dl * IQ4_NL_VALUES[q & 15];
            out[b * 256 + 32 * ib + 16 + j] = dl * IQ4_NL_VALUES[q >> 4];
          }
        }
      }
      break;
    case 'q2_k':
    case 'q3_k':
    case 'q4_k':
    case 'q5_k':
    case 'q6_k': {
      const bytesPer = DTYPE_LAYOUTS[dtype].blockBytes;
      for (let b = 0; b < n / 256; b++) K_QUANT_DECODERS[dtype](bytes.subarray(b * bytesPer, (b + 1) * bytesPer), out, b * 256);
      break;
    }
    case 'iq2_xxs':
    case 'iq2_xs':
    case 'iq2_s':
    case 'iq3_xxs':
    case 'iq3_s':
    case 'iq1_s':
    case 'iq1_m': {
      const bytesPer = DTYPE_LAYOUTS[dtype].blockBytes;
      for (let b = 0; b < n / 256; b++) {
        const x = bytes.subarray(b * bytesPer, (b + 1) * bytesPer);
        GRID_IQUANT_DECODERS[dtype](x, new DataView(x.buffer, x.byteOffset, x.byteLength), out, b * 256);
      }
      break;
    }
  }
  return out;
}

/**
 * GPTQ / AWQ / compressed-tensors groups: f16 d, f16 z, then the codes (4-bit: byte j holds value j
 * in its low nibble and j + G/2 in its high one; 8-bit: byte j value j); y = (q - z) d.
 */
function decodeZeroPoint(bytes: Uint8Array, view: DataView, out: Float64Array, bits: 4 | 8, { blockElems: g, blockBytes: bb }: DtypeLayout): void {
  for (let b = 0; b < out.length / g; b++) {
    const d = f16BitsToF32(view.getUint16(b * bb, true));
    const z = f16BitsToF32(view.getUint16(b * bb + 2, true));
    const codes = bytes.subarray(b * bb + 4, (b + 1) * bb);
    if (bits === 8) codes.forEach((q, j) => (out[b * g + j] = (q - z) * d));
    else {
      codes.forEach((q, j) => {
        out[b * g + j] = ((q & 15) - z) * d;
        out[b * g + g / 2 + j] = ((q >> 4) - z) * d;
      });
    }
  }
}

/**
 * MLX affine groups: f32 or f16 scale and bias, then value i of the group at bits [b i, b i + b) of
 * its words, low bits first (3, 5 and 6 bits cross word boundaries); y = q scale + bias.
 */
function decodeAffine(view: DataView, out: Float64Array, bits: number, half: boolean, { blockElems: g, blockBytes: bb }: DtypeLayout): void {
  for (let b = 0; b < out.length / g; b++) {
    const scale = half ? f16BitsToF32(view.getUint16(b * bb, true)) : view.getFloat32(b * bb, true);
    const bias = half ? f16BitsToF32(view.getUint16(b * bb + 2, true)) : view.getFloat32(b * bb + 4, true);
    for (let i = 0; i < g; i++) {
      const bit = i * bits;
      const word = b * bb + (half ? 4 : 8) + 4 * (bit >> 5);
      let q = view.getUint32(word, true) >>> (bit & 31);
      if ((bit & 31) + bits > 32) q |= view.getUint32(word + 4, true) << (32 - (bit & 31));
      out[b * g + i] = (q & ((1 << bits) - 1)) * scale + bias;
    }
  }
}

/**
 * Q2_K (dequantize_row_q2_K): per half of 128 values, 4 rounds of 2-bit fields (shift 2j) of
 * qs[32h + l]; 16-value sub-blocks with a 4-bit scale and a 4-bit min, value = d*sc*q - dmin*m.
 */
/** Decoders of one 256-value super-block of each K-quant type. */
const K_QUANT_DECODERS: Record<'q2_k' | 'q3_k' | 'q4_k' | 'q5_k' | 'q6_k', (x: Uint8Array, out: Float64Array, o: number) => void> = {
  q2_k: decodeQ2K,
  q3_k: decodeQ3K,
  q4_k: decodeQ4K,
  q5_k: decodeQ5K,
  q6_k: decodeQ6K,
};

function decodeQ2K(x: Uint8Array, out: Float64Array, o: number): void {
  const v = new DataView(x.buffer, x.byteOffset, x.byteLength);
  const d = f16BitsToF32(v.getUint16(80, true));
  const dmin = f16BitsToF32(v.getUint16(82, true));
  for (let i = 0; i < 256; i++) {
    const h = i >> 7;
    const j = (i >> 5) & 3;
    const l = i & 31;
    const sc = x[8 * h + 2 * j + (l >> 4)];
    out[o + i] = d * (sc & 15) * ((x[16 + 32 * h + l] >> (2 * j)) & 3) - dmin * (sc >> 4);
  }
}

/** Q3_K's 16 six-bit scales from its 12 packed bytes, as dequantize_row_q3_K unpacks them (minus 32). */
function q3kScales(s: Uint8Array): number[] {
  return Array.from({ length: 16 }, (_, i) => {
    const lo = i < 8 ? s[i] & 15 : s[i - 8] >> 4;
    const hi = (s[8 + (i & 3)] >> (2 * (i >> 2))) & 3;
    return (lo | (hi << 4)) - 32;
  });
}

/**
 * Q3_K (dequantize_row_q3_K): Q2_K's 2-bit fields plus a third bit from hmask[l] (bit 4h + j; a clear
 * bit subtracts 4), 16-value sub-blocks with signed 6-bit scales, value = d * sc * q.
 */
function decodeQ3K(x: Uint8Array, out: Float64Array, o: number): void {
  const d = f16BitsToF32(new DataView(x.buffer, x.byteOffset, x.byteLength).getUint16(108, true));
  const scales = q3kScales(x.subarray(96, 108));
  for (let i = 0; i < 256; i++) {
    const h = i >> 7;
    const j = (i >> 5) & 3;
    const l = i & 31;
    const q = ((x[32 + 32 * h + l] >> (2 * j)) & 3) - ((x[l] >> (4 * h + j)) & 1 ? 0 : 4);
    out[o + i] = d * scales[8 * h + 2 * j + (l >> 4)] * q;
  }
}

/** llama.cpp get_scale_min_k4: sub-block j's 6-bit scale and min from the 12 packed bytes. */
function scaleMinK4(j: number, q: Uint8Array): [number, number] {
  if (j < 4) return [q[j] & 63, q[j + 4] & 63];
  return [(q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4)];
}

/** Q4_K (dequantize_row_q4_K): 8 sub-blocks of 32, value = d*sc*q - dmin*m. */
function decodeQ4K(x: Uint8Array, out: Float64Array, o: number): void {
  const v = new DataView(x.buffer, x.byteOffset, x.byteLength);
  const d = f16BitsToF32(v.getUint16(0, true));
  const dmin = f16BitsToF32(v.getUint16(2, true));
  const scales = x.subarray(4, 16);
  const qs = x.subarray(16, 144);
  for (let c = 0; c < 4; c++) {
    const [sc1, m1] = scaleMinK4(2 * c, scales);
    const [sc2, m2] = scaleMinK4(2 * c + 1, scales);
    for (let l = 0; l < 32; l++) {
      out[o + 64 * c + l] = d * sc1 * (qs[32 * c + l] & 0xf) - dmin * m1;
      out[o + 64 * c + 32 + l] = d * sc2 * (qs[32 * c + l] >> 4) - dmin * m2;
    }
  }
}

/** Q5_K (dequantize_row_q5_K): Q4_K plus a fifth bit per value from qh, bit 2c (+1 for the high half). */
function decodeQ5K(x: Uint8Array, out: Float64Array, o: number): void {
  const v = new DataView(x.buffer, x.byteOffset, x.byteLength);
  const d = f16BitsToF32(v.getUint16(0, true));
  const dmin = f16BitsToF32(v.getUint16(2, true));
  const scales = x.subarray(4, 16);
  const qh = x.subarray(16, 48);
  const qs = x.subarray(48, 176);
  for (let c = 0; c < 4; c++) {
    const [sc1, m1] = scaleMinK4(2 * c, scales);
    const [sc2, m2] = scaleMinK4(2 * c + 1, scales);
    for (let l = 0; l < 32; l++) {
      out[o + 64 * c + l] = d * sc1 * ((qs[32 * c + l] & 0xf) + ((qh[l] >> (2 * c)) & 1) * 16) - dmin * m1;
      out[o + 64 * c + 32 + l] = d * sc2 * ((qs[32 * c + l] >> 4) + ((qh[l] >> (2 * c + 1)) & 1) * 16) - dmin * m2;
    }
  }
}

/** Q6_K (dequantize_row_q6_K): 16 sub-blocks of 16 with i8 scales, 6-bit values centred on 32. */
function decodeQ6K(x: Uint8Array, out: Float64Array, o: number): void {
  const v = new DataView(x.buffer, x.byteOffset, x.byteLength);
  const d = f16BitsToF32(v.getUint16(208, true));
  for (let n = 0; n < 2; n++) {
    const ql = x.subarray(64 * n, 64 * n + 64);
    const qh = x.subarray(128 + 32 * n, 128 + 32 * n + 32);
    const sc = (i: number) => v.getInt8(192 + 8 * n + i);
    for (let l = 0; l < 32; l++) {
      const is = l >> 4;
      const q1 = ((ql[l] & 0xf) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const q2 = ((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      const b = o + 128 * n;
      out[b + l] = d * sc(is) * q1;
      out[b + l + 32] = d * sc(is + 2) * q2;
      out[b + l + 64] = d * sc(is + 4) * q3;
      out[b + l + 96] = d * sc(is + 6) * q4;
    }
  }
}
