/**
 * Weight storage types the runtime can read, with their block geometry.
 * Quantized types pack `blockElems` consecutive values of one row into `blockBytes`
 * (llama.cpp's ggml-common.h layouts); rows are always a whole number of blocks.
 */
export type WeightDtype = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | 'q4_k' | 'q5_k' | 'q6_k';

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
  q4_k: { blockElems: 256, blockBytes: 144 }, // f16 d; f16 dmin; u8 scales[12]; u8 qs[128]
  q5_k: { blockElems: 256, blockBytes: 176 }, // f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]
  q6_k: { blockElems: 256, blockBytes: 210 }, // u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d (last)
};

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
