import { FormatError } from './errors.ts';
import type { ByteSource } from './source.ts';

/**
 * Byte offsets of the f16 scale fields in one block of the quantized GGUF types the kernels read
 * (ggml-common.h): Q8_0, Q4_0 and Q5_0 `d`; Q4_1 and Q5_1 `d`, `m`; Q4_K and Q5_K `d`, `dmin`; Q2_K `d`, `dmin`
 * and Q3_K, Q6_K `d`, stored last; IQ4_NL, IQ4_XS and the
 * IQ2, IQ3 and IQ1_S types `d`. IQ1_M has no `d` field: its f16 is spread over the top nibbles of its
 * four u16 scale words (GGML_SPREAD_SCALES).
 */
export const GGML_F16_SCALES: Readonly<Record<string, readonly number[]>> = {
  Q8_0: [0],
  Q4_0: [0],
  Q4_1: [0, 2],
  Q5_0: [0],
  Q5_1: [0, 2],
  Q2_K: [80, 82],
  Q3_K: [108],
  Q4_K: [0, 2],
  Q5_K: [0, 2],
  Q6_K: [208],
  IQ4_NL: [0],
  IQ4_XS: [0],
  IQ2_XXS: [0],
  IQ2_XS: [0],
  IQ2_S: [0],
  IQ3_XXS: [0],
  IQ3_S: [0],
  IQ1_S: [0],
};

/** A block's scale that is not one f16 field: whether the block at `at` has a NaN or infinite one. */
export type SpreadScaleCheck = (bytes: Uint8Array, at: number) => boolean;

export const GGML_SPREAD_SCALES: Readonly<Record<string, SpreadScaleCheck>> = {
  // IQ1_M's d: f16 bits 4n..4n+3 are the top nibble of u16 scale word n (bytes 48..55). Its exponent,
  // bits 10..14, is bits 6..7 of byte 53 and bits 4..6 of byte 55.
  IQ1_M: (b, at) => (b[at + 53] & 0xc0) === 0xc0 && (b[at + 55] & 0x70) === 0x70,
};

export interface ScaledTensor {
  name: string;
  /** ggml type name, for the error ("Q8_0"). */
  typeName: string;
  /** Absolute offset of the tensor's first block in the source. */
  offset: number;
  byteLength: number;
  blockBytes: number;
  /** Offsets of the f16 scale fields inside a block, or a check of a scale spread over several. */
  scales: readonly number[] | SpreadScaleCheck;
}

/** Index of the first whole block of `bytes` (which starts on a block boundary) with a NaN or infinite scale, or -1. */
export function firstNonFiniteScale(bytes: Uint8Array, blockBytes: number, scales: readonly number[] | SpreadScaleCheck): number {
  const blocks = Math.floor(bytes.length / blockBytes);
  if (typeof scales === 'function') {
    for (let b = 0; b < blocks; b++) if (scales(bytes, b * blockBytes)) return b;
    return -1;
  }
  for (let b = 0, at = 0; b < blocks; b++, at += blockBytes) {
    // An f16 is NaN or infinite when its five exponent bits are all ones: bits 2..6 of its high byte.
    for (const f of scales) if ((bytes[at + f + 1] & 0x7c) === 0x7c) return b;
  }
  return -1;
}

/**
 * The tensor's reads, refusing blocks whose scales are NaN or infinite. One such scale makes a row of
 * the matrix NaN and from there every logit, so the model would answer gibberish instead of failing.
 * The check costs one byte test per block (a block is 18 to 210 bytes) on bytes already read; reads
 * that do not start on a block boundary of the tensor (nothing in the loader makes them) go unchecked.
 */
export function scaleCheckedSource(src: ByteSource, t: ScaledTensor): ByteSource {
  return {
    name: src.name,
    size: src.size,
    async read(offset, length) {
      const bytes = await src.read(offset, length);
      const rel = offset - t.offset;
      if (rel < 0 || rel >= t.byteLength || rel % t.blockBytes !== 0) return bytes;
      const inTensor = bytes.subarray(0, Math.min(length, t.byteLength - rel));
      const bad = firstNonFiniteScale(inTensor, t.blockBytes, t.scales);
      if (bad >= 0) {
        const block = rel / t.blockBytes + bad;
        throw new FormatError(
          src.name,
          `tensor "${t.name}" has a NaN or infinite scale in ${t.typeName} block ${block} (byte ${t.offset + block * t.blockBytes}): ` +
            'the file is corrupt; download it again',
        );
      }
      return bytes;
    },
  };
}
