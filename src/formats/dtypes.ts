/**
 * Weight storage types the runtime can read, with their block geometry.
 * Quantized types pack `blockElems` consecutive values of one row into `blockBytes`
 * (llama.cpp's ggml-common.h layouts); rows are always a whole number of blocks.
 */
export type WeightDtype =
  | 'f32' | 'f16' | 'bf16'
  | 'q8_0' | 'q4_0' | 'q4_1' | 'q5_0' | 'q5_1' | 'q2_k' | 'q3_k' | 'q4_k' | 'q5_k' | 'q6_k' // GGUF blocks, as stored
  | 'iq4_nl' | 'iq4_xs' | 'iq2_xxs' | 'iq2_xs' | 'iq2_s' | 'iq3_xxs' | 'iq3_s' | 'iq1_s' | 'iq1_m'
  | RepackedDtype;

/** Quantized safetensors checkpoints keep scales in separate tensors: repacked by row at load. */
export type RepackedDtype = 'f8e4m3_128' | 'i8_128' | ZeroPointDtype | Bnb4BitDtype | AffineDtype;

/** bitsandbytes 4-bit blocks of 64, by code book (its quant_type): NF4 or FP4. */
export const BNB_4BIT_CODES = ['nf4', 'fp4'] as const;
export type Bnb4BitCode = (typeof BNB_4BIT_CODES)[number];
export type Bnb4BitDtype = `${Bnb4BitCode}_64`;

export function isBnb4BitCode(s: string): s is Bnb4BitCode {
  return (BNB_4BIT_CODES as readonly string[]).includes(s);
}
export function isBnb4BitDtype(dtype: WeightDtype): dtype is Bnb4BitDtype {
  return dtype.endsWith('_64') && isBnb4BitCode(dtype.slice(0, 3));
}
export function bnb4BitCode(dtype: Bnb4BitDtype): Bnb4BitCode {
  return dtype.slice(0, 3) as Bnb4BitCode;
}

/** The unquantized storage types: read 4 values at a time, never in blocks. */
export function isFloatDtype(dtype: string): dtype is 'f32' | 'f16' | 'bf16' {
  return dtype === 'f32' || dtype === 'f16' || dtype === 'bf16';
}

/** GPTQ / AWQ / compressed-tensors groups with a zero point (y = (q - z) d), by bits and group size. */
export type ZeroPointDtype = `q${4 | 8}z_${32 | 64 | 128}`;

/**
 * MLX's affine groups (y = q scale + bias), by bits and group size: `q4a_64` keeps scale and bias in
 * f32, `q4ah_64` in f16 (when every one of a tensor's is zero or a normal half, as BF16 and F16 ones
 * nearly always are): 4 bytes a group fewer to read.
 */
export type AffineDtype = `q${AffineBits}a${'' | 'h'}_${AffineGroup}`;
export type AffineBits = 2 | 3 | 4 | 5 | 6 | 8;
export type AffineGroup = 32 | 64 | 128;
export const AFFINE_BITS: readonly AffineBits[] = [2, 3, 4, 5, 6, 8];
export const AFFINE_GROUPS: readonly AffineGroup[] = [32, 64, 128];

/** The types a GGUF file can hold. */
export type GgmlDtype = Exclude<WeightDtype, RepackedDtype>;

export interface DtypeLayout {
  blockElems: number;
  blockBytes: number;
}

export const DTYPE_LAYOUTS: Record<WeightDtype, DtypeLayout> = {
  f32: { blockElems: 1, blockBytes: 4 },
  f16: { blockElems: 1, blockBytes: 2 },
  bf16: { blockElems: 1, blockBytes: 2 },
  q8_0: { blockElems: 32, blockBytes: 34 }, // f16 d; i8 qs[32]
  q4_0: { blockElems: 32, blockBytes: 18 }, // f16 d; u8 qs[16] (low nibbles first half, high second)
  q4_1: { blockElems: 32, blockBytes: 20 }, // f16 d; f16 m; u8 qs[16] as Q4_0; y = q d + m
  q5_0: { blockElems: 32, blockBytes: 22 }, // f16 d; u32 qh (5th bits); u8 qs[16] as Q4_0; y = (q - 16) d
  q5_1: { blockElems: 32, blockBytes: 24 }, // f16 d; f16 m; u32 qh; u8 qs[16] as Q5_0; y = q d + m
  q2_k: { blockElems: 256, blockBytes: 84 }, // u8 scales[16] (4-bit scale, 4-bit min); u8 qs[64]; f16 d; f16 dmin
  q3_k: { blockElems: 256, blockBytes: 110 }, // u8 hmask[32]; u8 qs[64]; u8 scales[12] (16 x 6 bits); f16 d
  q4_k: { blockElems: 256, blockBytes: 144 }, // f16 d; f16 dmin; u8 scales[12]; u8 qs[128]
  q5_k: { blockElems: 256, blockBytes: 176 }, // f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]
  q6_k: { blockElems: 256, blockBytes: 210 }, // u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d (last)
  iq4_nl: { blockElems: 32, blockBytes: 18 }, // f16 d; u8 qs[16] as Q4_0; y = d * IQ4_NL_VALUES[q]
  iq4_xs: { blockElems: 256, blockBytes: 136 }, // f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128]; 6-bit scale per 32
  // Grid i-quants (src/formats/i-quants.ts): indices into a lattice of 8 or 4 values, sign bits, 3-4 bit scales.
  iq2_xxs: { blockElems: 256, blockBytes: 66 },
  iq2_xs: { blockElems: 256, blockBytes: 74 },
  iq2_s: { blockElems: 256, blockBytes: 82 },
  iq3_xxs: { blockElems: 256, blockBytes: 98 },
  iq3_s: { blockElems: 256, blockBytes: 110 },
  iq1_s: { blockElems: 256, blockBytes: 50 },
  iq1_m: { blockElems: 256, blockBytes: 56 },
  // Row-major repacks of checkpoints whose scales live in separate tensors (src/formats/quant/):
  f8e4m3_128: { blockElems: 128, blockBytes: 132 }, // f32 scale; u8 e4m3[128]; y = e4m3 * scale
  i8_128: { blockElems: 128, blockBytes: 132 }, // f32 scale; i8 q[128]; y = q * scale
  // f16 d; f16 z; u8 qs[G/2] (byte j: value j low nibble, value j + G/2 high); y = (q - z) d
  q4z_32: { blockElems: 32, blockBytes: 20 },
  q4z_64: { blockElems: 64, blockBytes: 36 },
  q4z_128: { blockElems: 128, blockBytes: 68 },
  // f16 d; f16 z; u8 qs[G] (byte j: value j); y = (q - z) d
  q8z_32: { blockElems: 32, blockBytes: 36 },
  q8z_64: { blockElems: 64, blockBytes: 68 },
  q8z_128: { blockElems: 128, blockBytes: 132 },
  // bitsandbytes 4-bit: f32 absmax (double quantization already undone); u8 qs[32] as bitsandbytes packs
  // them (value 2j in the high nibble of byte j, 2j + 1 in the low); y = NF4_VALUES[q] * absmax, or
  // FP4_VALUES[q] * absmax (formats/numeric.ts)
  nf4_64: { blockElems: 64, blockBytes: 36 },
  fp4_64: { blockElems: 64, blockBytes: 36 },
  ...affineLayouts(),
};

/**
 * MLX affine groups of G b-bit values: f32 scale and f32 bias (`qba_G`), or f16 scale and f16 bias
 * in one word (`qbah_G`); then the G values as MLX packs them, one little-endian bit stream (value i
 * at bits [b i, b i + b), low bits first); y = q scale + bias. G b is a multiple of 32 for every
 * pair, so a group is whole words.
 */
function affineLayouts(): Record<AffineDtype, DtypeLayout> {
  const layouts = {} as Record<AffineDtype, DtypeLayout>;
  for (const bits of AFFINE_BITS) {
    for (const g of AFFINE_GROUPS) {
      for (const half of [false, true]) layouts[affineDtype(bits, g, half)] = { blockElems: g, blockBytes: (half ? 4 : 8) + (g * bits) / 8 };
    }
  }
  return layouts;
}

export function isWeightDtype(s: string): s is WeightDtype {
  return Object.hasOwn(DTYPE_LAYOUTS, s);
}

/** Bytes of one row of `cols` elements; throws when cols is not a whole number of blocks. */
export function rowBytes(dtype: WeightDtype, cols: number): number {
  const { blockElems, blockBytes } = DTYPE_LAYOUTS[dtype];
  if (cols % blockElems !== 0) {
    throw new RangeError(`a ${dtype} row must hold a multiple of ${blockElems} values, got ${cols}`);
  }
  return (cols / blockElems) * blockBytes;
}

/** How people name a storage type: GGUF's names, and what the repacked checkpoint types came from. */
export function dtypeLabel(dtype: WeightDtype): string {
  if (dtype === 'f8e4m3_128') return 'FP8 E4M3';
  if (dtype === 'i8_128') return 'INT8';
  if (isZeroPointDtype(dtype)) return `INT${zeroPointBits(dtype)} g${DTYPE_LAYOUTS[dtype].blockElems}`;
  if (isBnb4BitDtype(dtype)) return `bnb ${bnb4BitCode(dtype).toUpperCase()}`;
  if (isAffineDtype(dtype)) return `INT${affineBits(dtype)} affine g${DTYPE_LAYOUTS[dtype].blockElems}`;
  return dtype.toUpperCase();
}

export function isAffineDtype(dtype: WeightDtype): dtype is AffineDtype {
  return /^q\dah?_/.test(dtype);
}

export function affineDtype(bits: AffineBits, group: AffineGroup, halfHeader: boolean): AffineDtype {
  return `q${bits}a${halfHeader ? 'h' : ''}_${group}`;
}

/** Whether an affine type keeps its scale and bias as f16 (one word) rather than f32 (two). */
export function affineHalfHeader(dtype: AffineDtype): boolean {
  return dtype[3] === 'h';
}

export function affineBits(dtype: AffineDtype): AffineBits {
  return Number(dtype[1]) as AffineBits;
}

export function isZeroPointDtype(dtype: WeightDtype): dtype is ZeroPointDtype {
  return /^q[48]z_/.test(dtype);
}

export function zeroPointBits(dtype: ZeroPointDtype): 4 | 8 {
  return dtype[1] === '8' ? 8 : 4;
}
