import { isFloatDtype, rowBytes as rowBytesOf, type WeightDtype } from '../dtypes.ts';
import { FormatError } from '../errors.ts';
import { dequantizeRows, quantizeF8E4M3_128, quantizeQ4_0, quantizeQ8_0 } from '../numeric.ts';
import type { TensorEntry } from '../tensor.ts';
import { rowSource } from './parts.ts';

/**
 * Quantize on load: a float checkpoint (F32 / F16 / BF16 matrices) quantized row by row while it
 * streams to the GPU, so a 7B model whose BF16 form (15 GB) does not fit runs in a quarter of it.
 * - 'q4': Linear weights to 4-bit blocks of 32 with an f16 scale (GGUF Q4_0);
 * - 'fp8': Linear weights to E4M3 in 128-value blocks with an f32 scale (max|w| / 448, as FP8
 *   checkpoints choose it).
 * The embedding and the LM head go to Q8_0 in both: their rows are read per token and per logit,
 * where 4-bit error shows most, and Q8_0 still halves BF16.
 */
export type QuantizeMode = 'q4' | 'fp8';

export const QUANTIZE_MODES: readonly QuantizeMode[] = ['q4', 'fp8'];

const TABLES = new Set(['model.embed_tokens.weight', 'lm_head.weight']);

/** The type a float matrix becomes: null when it stays as it is. */
function quantizedType(t: TensorEntry, mode: QuantizeMode): WeightDtype | null {
  if (t.shape.length !== 2 || typeof t.dtype !== 'string' || !isFloatDtype(t.dtype)) return null;
  const cols = t.shape[1];
  const want: WeightDtype = TABLES.has(t.name) ? 'q8_0' : mode === 'q4' ? 'q4_0' : 'f8e4m3_128';
  // Rows that are not whole blocks keep their type rather than failing (the real models' are).
  if (cols % (want === 'f8e4m3_128' ? 128 : 32)) return cols % 32 ? null : 'q8_0';
  return want;
}

export function quantizeOnLoad(tensors: ReadonlyMap<string, TensorEntry>, mode: QuantizeMode): Map<string, TensorEntry> {
  if (!QUANTIZE_MODES.includes(mode)) throw new FormatError('quantize', `"${String(mode)}" is not a quantization (q4 or fp8)`);
  const out = new Map(tensors);
  for (const t of tensors.values()) {
    const to = quantizedType(t, mode);
    if (!to) continue;
    const from = t.dtype as WeightDtype;
    const [rows, cols] = t.shape;
    const fromRow = rowBytesOf(from, cols);
    const toRow = rowBytesOf(to, cols);
    const encode = { q4_0: quantizeQ4_0, q8_0: quantizeQ8_0, f8e4m3_128: quantizeF8E4M3_128 }[to as 'q4_0' | 'q8_0' | 'f8e4m3_128'];
    const source = rowSource(`${t.source.name} (${t.name} quantized to ${to})`, rows, toRow, async (r0, r1) => {
      const raw = await t.source.read(t.offset + r0 * fromRow, (r1 - r0) * fromRow);
      return encode(Float32Array.from(dequantizeRows(from, raw, r1 - r0, cols)));
    });
    out.set(t.name, { ...t, dtype: to, source, offset: 0, byteLength: rows * toRow });
  }
  return out;
}
