import { DTYPE_LAYOUTS, type AffineDtype } from '../dtypes.ts';
import type { TensorEntry } from '../tensor.ts';
import { expectShape, fileDtype, partError, readScalesF32, rowSource } from './parts.ts';

/**
 * MLX affine checkpoints (mlx-lm's quantize, the mlx-community uploads) -> the runtime's `q4a_G` /
 * `q8a_G` rows: per group of G inputs the f32 scale and bias, then the group's words as stored.
 *
 * mlx.core.quantize packs each row along the input: `weight` is U32 [out, in * bits / 32], value i at
 * bits `bits * (i % (32 / bits))` of word i / (32 / bits), low bits first; `scales` and `biases` are
 * [out, in / G] in the model's dtype; w = q * scale + bias. Their BF16 / F16 values are exact in f32.
 */
export interface AffineParts {
  weight: TensorEntry;
  scales: TensorEntry;
  biases: TensorEntry;
  bits: 4 | 8;
  groupSize: number;
}

export async function repackAffine(p: AffineParts): Promise<TensorEntry> {
  const { weight, bits, groupSize: G } = p;
  if (fileDtype(weight) !== 'U32') throw partError(weight, `is ${fileDtype(weight)}, but MLX packs quantized weights as U32 words`);
  if (weight.shape.length !== 2) throw partError(weight, `has shape [${weight.shape}]: quantized weights are matrices`);
  const [M, words] = weight.shape;
  const N = (words * 32) / bits;
  if (N % G) throw partError(weight, `holds rows of ${N} ${bits}-bit values, not whole groups of ${G}`);
  const groups = N / G;
  expectShape(p.scales, [M, groups], `a [${M}, ${N}] weight in groups of ${G}`);
  expectShape(p.biases, [M, groups], `a [${M}, ${N}] weight in groups of ${G}`);
  const scales = await readScalesF32(p.scales);
  const biases = await readScalesF32(p.biases);
  const dtype = `q${bits}a_${G}` as AffineDtype;
  const blockBytes = DTYPE_LAYOUTS[dtype].blockBytes;
  const groupBytes = blockBytes - 8;
  const rowBytes = groups * blockBytes;
  const source = rowSource(`${weight.source.name} (${weight.name}, MLX ${bits}-bit)`, M, rowBytes, async (r0, r1) => {
    const raw = await weight.source.read(weight.offset + r0 * words * 4, (r1 - r0) * words * 4);
    const out = new Uint8Array((r1 - r0) * rowBytes);
    const view = new DataView(out.buffer);
    for (let r = r0; r < r1; r++) {
      for (let g = 0; g < groups; g++) {
        const o = (r - r0) * rowBytes + g * blockBytes;
        view.setFloat32(o, scales[r * groups + g], true);
        view.setFloat32(o + 4, biases[r * groups + g], true);
        const at = (r - r0) * words * 4 + g * groupBytes;
        out.set(raw.subarray(at, at + groupBytes), o + 8);
      }
    }
    return out;
  });
  return { name: weight.name, dtype, shape: [M, N], source, offset: 0, byteLength: M * rowBytes };
}
