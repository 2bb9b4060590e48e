import { affineDtype, DTYPE_LAYOUTS, type AffineBits, type AffineGroup } from '../dtypes.ts';
import { f16BitsToF32, f32ToF16Bits } from '../numeric.ts';
import type { TensorEntry } from '../tensor.ts';
import { expectShape, fileDtype, partError, readScalesF32, rowSource } from './parts.ts';

/**
 * MLX affine checkpoints (mlx-lm's quantize, the mlx-community uploads) -> the runtime's `q{bits}ah_G`
 * rows (per group of G inputs the f16 scale and bias, then the group's words as stored), or
 * `q{bits}a_G` (f32 scale and bias) for a tensor whose scales or biases are not all zero or normal
 * halves.
 *
 * mlx.core.quantize packs each row along the input: `weight` is U32 [out, in * bits / 32]. 2-, 4- and
 * 8-bit values fill words, value i at bits `bits * (i % (32 / bits))` of word i / (32 / bits); 3- and
 * 6-bit ones go 8 to 3 bytes and 4 to 3 bytes, 5-bit ones 8 to 5 bytes, low bits first. Either way a
 * row is one little-endian bit stream, value i at bits [bits i, bits i + bits), and a group of 32, 64
 * or 128 values ends on a word. `scales` and `biases` are [out, in / G] in the model's dtype;
 * w = q * scale + bias. Their BF16 / F16 values are exact in f32.
 */
export interface AffineParts {
  weight: TensorEntry;
  scales: TensorEntry;
  biases: TensorEntry;
  bits: AffineBits;
  groupSize: AffineGroup;
}

export async function repackAffine(p: AffineParts): Promise<TensorEntry> {
  const { weight, bits, groupSize: G } = p;
  if (fileDtype(weight) !== 'U32') throw partError(weight, `is ${fileDtype(weight)}, but MLX packs quantized weights as U32 words`);
  if (weight.shape.length !== 2) throw partError(weight, `has shape [${weight.shape}]: quantized weights are matrices`);
  const [M, words] = weight.shape;
  if ((words * 32) % bits) throw partError(weight, `holds ${words} words a row, not a whole number of ${bits}-bit values`);
  const N = (words * 32) / bits;
  if (N % G) throw partError(weight, `holds rows of ${N} ${bits}-bit values, not whole groups of ${G}`);
  const groups = N / G;
  expectShape(p.scales, [M, groups], `a [${M}, ${N}] weight in groups of ${G}`);
  expectShape(p.biases, [M, groups], `a [${M}, ${N}] weight in groups of ${G}`);
  const scales = await readScalesF32(p.scales);
  const biases = await readScalesF32(p.biases);
  // f16 scale and bias when that loses nothing: zero or a normal half (BF16 values from 2^-14 up are).
  // Not a subnormal half, though exact down to 2^-24: some GPUs flush those to zero as they unpack.
  const half = isF16Exact(scales) && isF16Exact(biases);
  const headBytes = half ? 4 : 8;
  const dtype = affineDtype(bits, G, half);
  const blockBytes = DTYPE_LAYOUTS[dtype].blockBytes;
  const groupBytes = blockBytes - headBytes;
  const rowBytes = groups * blockBytes;
  const source = rowSource(`${weight.source.name} (${weight.name}, MLX ${bits}-bit)`, M, rowBytes, async (r0, r1) => {
    const raw = await weight.source.read(weight.offset + r0 * words * 4, (r1 - r0) * words * 4);
    const out = new Uint8Array((r1 - r0) * rowBytes);
    const view = new DataView(out.buffer);
    for (let r = r0; r < r1; r++) {
      for (let g = 0; g < groups; g++) {
        const o = (r - r0) * rowBytes + g * blockBytes;
        if (half) {
          view.setUint16(o, f32ToF16Bits(scales[r * groups + g]), true);
          view.setUint16(o + 2, f32ToF16Bits(biases[r * groups + g]), true);
        } else {
          view.setFloat32(o, scales[r * groups + g], true);
          view.setFloat32(o + 4, biases[r * groups + g], true);
        }
        const at = (r - r0) * words * 4 + g * groupBytes;
        out.set(raw.subarray(at, at + groupBytes), o + headBytes);
      }
    }
    return out;
  });
  return { name: weight.name, dtype, shape: [M, N], source, offset: 0, byteLength: M * rowBytes };
}

function isF16Exact(values: Float32Array): boolean {
  return values.every((x) => x === 0 || (Math.abs(x) >= 2 ** -14 && f16BitsToF32(f32ToF16Bits(x)) === x));
}
