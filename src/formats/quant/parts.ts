import { FormatError } from '../errors.ts';
import { bf16BitsToF32, f16BitsToF32, f32ToF16Bits } from '../numeric.ts';
import { checkRange, type ByteSource } from '../source.ts';
import type { TensorEntry } from '../tensor.ts';

/**
 * Reading the pieces of a quantized Linear (packed ints, scales, index tensors) and presenting the
 * repacked matrix as a byte source of whole rows, so the uploader streams it like any stored weight.
 */

/** The file's own dtype name: F16, BF16, F32, I32, F8_E4M3, ... */
export function fileDtype(t: TensorEntry): string {
  return typeof t.dtype === 'string' ? t.dtype.toUpperCase() : t.dtype.unsupported;
}

export function partError(t: TensorEntry, problem: string): FormatError {
  return new FormatError(t.source.name, `tensor "${t.name}" ${problem}`);
}

export function expectShape(t: TensorEntry, shape: number[], what: string): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw partError(t, `has shape [${t.shape}], but ${what} implies [${shape}]`);
  }
}

async function bytesOf(t: TensorEntry): Promise<Uint8Array> {
  const b = await t.source.read(t.offset, t.byteLength);
  // Typed views need aligned offsets: copy when the file's layout does not give one.
  return b.byteOffset % 4 ? b.slice() : b;
}

/** I32 (or U32) tensor as unsigned words: packed nibbles are read with >>>. */
export async function readWords(t: TensorEntry): Promise<Uint32Array> {
  const dt = fileDtype(t);
  if (dt !== 'I32' && dt !== 'U32') throw partError(t, `is ${dt}, expected packed I32 words`);
  const b = await bytesOf(t);
  return new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

/** An integer tensor (g_idx, weight_shape: I32 / I64; bitsandbytes weight_format: U8) as numbers. */
export async function readInts(t: TensorEntry): Promise<number[]> {
  const dt = fileDtype(t);
  const b = await bytesOf(t);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dt === 'I32') return Array.from({ length: b.length / 4 }, (_, i) => v.getInt32(i * 4, true));
  if (dt === 'I64') return Array.from({ length: b.length / 8 }, (_, i) => Number(v.getBigInt64(i * 8, true)));
  if (dt === 'U8') return Array.from(b);
  throw partError(t, `is ${dt}, expected I32, I64 or U8 integers`);
}

/**
 * Scales as IEEE half bits, the precision the repacked blocks keep: F16 scales are copied exactly,
 * BF16 and F32 rounded to nearest. A scale that is not finite, or not finite as a half, is refused.
 */
export async function readScalesF16(t: TensorEntry): Promise<Uint16Array> {
  const dt = fileDtype(t);
  const b = await bytesOf(t);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let out: Uint16Array;
  if (dt === 'F16') out = Uint16Array.from({ length: b.length / 2 }, (_, i) => v.getUint16(i * 2, true));
  else if (dt === 'BF16') out = Uint16Array.from({ length: b.length / 2 }, (_, i) => f32ToF16Bits(bf16BitsToF32(v.getUint16(i * 2, true))));
  else if (dt === 'F32') out = Uint16Array.from({ length: b.length / 4 }, (_, i) => f32ToF16Bits(v.getFloat32(i * 4, true)));
  else throw partError(t, `is ${dt}, expected F16, BF16 or F32 scales`);
  const bad = out.findIndex((h) => (h & 0x7c00) === 0x7c00);
  if (bad >= 0) throw partError(t, `holds a scale that is not a finite half-precision number (${f16BitsToF32(out[bad])} at index ${bad})`);
  return out;
}

/** Scales kept in f32 (FP8 / INT8 blocks, bitsandbytes 4-bit absmax, MLX groups): F32 exactly, BF16 and F16 widened; non-finite scales refused. */
export async function readScalesF32(t: TensorEntry): Promise<Float32Array> {
  const dt = fileDtype(t);
  const b = await bytesOf(t);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let out: Float32Array;
  if (dt === 'F32') out = Float32Array.from({ length: b.length / 4 }, (_, i) => v.getFloat32(i * 4, true));
  else if (dt === 'BF16') out = Float32Array.from({ length: b.length / 2 }, (_, i) => bf16BitsToF32(v.getUint16(i * 2, true)));
  else if (dt === 'F16') out = Float32Array.from({ length: b.length / 2 }, (_, i) => f16BitsToF32(v.getUint16(i * 2, true)));
  else throw partError(t, `is ${dt}, expected F32, BF16 or F16 scales`);
  const bad = out.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw partError(t, `holds a scale that is not finite (${out[bad]} at index ${bad})`);
  return out;
}

/**
 * A matrix of `rows` rows of `rowBytes` bytes, made on demand by `produce(r0, r1)` (rows [r0, r1)).
 * Reads may start and end anywhere; they are widened to whole rows.
 */
export function rowSource(name: string, rows: number, rowBytes: number, produce: (r0: number, r1: number) => Promise<Uint8Array>): ByteSource {
  const size = rows * rowBytes;
  return {
    name,
    size,
    async read(offset, length) {
      checkRange({ name, size }, offset, length);
      const r0 = Math.floor(offset / rowBytes);
      const r1 = Math.max(r0, Math.ceil((offset + length) / rowBytes));
      const bytes = await produce(r0, r1);
      const start = offset - r0 * rowBytes;
      return bytes.subarray(start, start + length);
    },
  };
}

/**
 * A matrix repacked whole on its first read (its packing runs across rows) and kept until every byte
 * has been read once, so a streaming upload repacks it once and then lets it go.
 */
export function wholeSource(name: string, rows: number, rowBytes: number, repack: () => Promise<Uint8Array>): ByteSource {
  let held: Promise<Uint8Array> | null = null;
  let served = 0;
  return rowSource(name, rows, rowBytes, async (r0, r1) => {
    held ??= repack();
    const all = await held;
    served += (r1 - r0) * rowBytes;
    if (served >= all.length) {
      held = null;
      served = 0;
    }
    return all.subarray(r0 * rowBytes, r1 * rowBytes);
  });
}
