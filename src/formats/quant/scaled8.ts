import { rowBytes as rowBytesOf } from '../dtypes.ts';
import type { TensorEntry } from '../tensor.ts';
import { expectShape, fileDtype, partError, readScalesF32, rowSource } from './parts.ts';

/**
 * 8-bit checkpoints with scale tensors -> the runtime's `f8e4m3_128` / `i8_128` rows (f32 scale, then
 * 128 bytes). The bytes are copied as stored; only each block's scale is placed in front of them:
 * - DeepSeek block FP8: `weight_scale_inv` [ceil(M / br), ceil(N / bc)], W = fp8 * scale_inv (despite
 *   the name it multiplies);
 * - compressed-tensors FP8 and INT8: `weight_scale` per tensor ([] or [1]), per output channel
 *   ([M, 1]) or (FP8) per block;
 * - bitsandbytes LLM.int8: `SCB` [M], each row's max|w|, W = int8 * SCB / 127.
 */
export interface Scales8 {
  tensor: TensorEntry;
  /** Rows and columns of weights sharing one scale; cols 0 means the whole row, rows 0 the whole tensor. */
  blockRows: number;
  blockCols: number;
  /** The stored value is the scale times this (bitsandbytes keeps max|w|: the scale times 127). */
  divisor?: number;
}

/** What the bytes are: FP8 E4M3 codes or two's-complement INT8. */
export type Code8 = 'e4m3' | 'int8';

const CODES = {
  e4m3: { file: 'F8_E4M3', dtype: 'f8e4m3_128', name: 'FP8' },
  int8: { file: 'I8', dtype: 'i8_128', name: 'INT8' },
} as const;

export async function repack8Bit(weight: TensorEntry, s: Scales8, code: Code8): Promise<TensorEntry> {
  const c = CODES[code];
  if (fileDtype(weight) !== c.file) throw partError(weight, `is ${fileDtype(weight)}, but an ${c.name} checkpoint stores weights as ${c.file}`);
  if (weight.shape.length !== 2) throw partError(weight, `has shape [${weight.shape}]: ${c.name} weights are matrices`);
  const [M, N] = weight.shape;
  if (N % 128) throw partError(weight, `rows of ${N} values are not whole 128-value ${c.name} blocks`);
  const scaleCols = s.blockCols ? Math.ceil(N / s.blockCols) : 1;
  const scaleRows = s.blockRows ? Math.ceil(M / s.blockRows) : 1;
  const scaleShape = s.blockRows === 0 ? s.tensor.shape : [scaleRows, scaleCols];
  if (s.blockRows === 0 && scaleShape.reduce((a, b) => a * b, 1) !== 1) throw partError(s.tensor, `has shape [${scaleShape}], but a per-tensor scale is one value`);
  if (s.blockRows !== 0) expectShape(s.tensor, scaleShape, `an ${c.name} weight of shape [${M}, ${N}] with ${s.blockRows}x${s.blockCols || N} scale blocks`);
  const stored = await readScalesF32(s.tensor);
  const scales = s.divisor ? stored.map((v) => v / s.divisor!) : stored;
  const rowBytes = rowBytesOf(c.dtype, N);
  const blocks = N / 128;
  const source = rowSource(`${weight.source.name} (${weight.name}, ${c.name})`, M, rowBytes, async (r0, r1) => {
    const raw = await weight.source.read(weight.offset + r0 * N, (r1 - r0) * N);
    const out = new Uint8Array((r1 - r0) * rowBytes);
    const view = new DataView(out.buffer);
    for (let r = r0; r < r1; r++) {
      const src = raw.subarray((r - r0) * N, (r - r0 + 1) * N);
      const nan = code === 'e4m3' ? src.findIndex((b) => (b & 0x7f) === 0x7f) : -1;
      if (nan >= 0) throw partError(weight, `holds the FP8 NaN code at row ${r}, column ${nan}`);
      const sr = s.blockRows ? Math.floor(r / s.blockRows) : 0;
      for (let b = 0; b < blocks; b++) {
        const sc = s.blockCols ? Math.floor((b * 128) / s.blockCols) : 0;
        const o = (r - r0) * rowBytes + b * 132;
        view.setFloat32(o, scales[sr * scaleCols + sc], true);
        out.set(src.subarray(b * 128, b * 128 + 128), o + 4);
      }
    }
    return out;
  });
  return { name: weight.name, dtype: c.dtype, shape: [M, N], source, offset: 0, byteLength: M * rowBytes };
}
