import { DTYPE_LAYOUTS, rowBytes as rowBytesOf, type ZeroPointDtype } from '../dtypes.ts';
import { f32ToF16Bits } from '../numeric.ts';
import type { TensorEntry } from '../tensor.ts';
import { expectShape, partError, readInts, readScalesF16, readWords, wholeSource } from './parts.ts';

/**
 * 4- and 8-bit checkpoints with zero points -> the runtime's `q4z_<G>` / `q8z_<G>` rows: per block of
 * G input features a half scale d, a half zero z, then G codes; W[o, i] = (q - z) d. Scales are
 * copied as stored (GPTQ and AWQ keep them in f16), zeros are small integers, so the repack is exact.
 *
 * The three packings (formats.md 5.5-5.7), with P = 32 / bits codes a word, low bits first:
 * - GPTQ `qweight` I32 [in / P, out]: code s of word [r, o] is input P r + s (along the input);
 *   `qzeros` I32 [groups, out / P] along the output, stored as z - 1 in the original "gptq" format;
 *   `scales` F16 [groups, out]; optional `g_idx` [in] (act-order: a feature's group, in any order).
 * - AWQ (4-bit only) `qweight` I32 [in, out / 8]: nibble slot s of word [i, c] is output
 *   8c + AWQ_ORDER[s]; `qzeros` the same way, no offset; `scales` F16 [groups, out].
 * - compressed-tensors `weight_packed` I32 [out, in / P], sequential, value q - 2^(bits - 1) (the
 *   zero is 8 or 128); `weight_scale` [out, groups]; optional `weight_g_idx`.
 */
const AWQ_ORDER = [0, 2, 4, 6, 1, 3, 5, 7];

/** AutoAWQ makes 4-bit codes only. */
export type ZeroPointParts = ({ packing: 'awq'; bits: 4 } | { packing: 'gptq' | 'ct'; bits: 4 | 8 }) & ZeroPointTensors;

interface ZeroPointTensors {
  /** The packed codes: qweight or weight_packed. */
  packed: TensorEntry;
  scales: TensorEntry;
  zeros?: TensorEntry;
  groupIndex?: TensorEntry;
  /** [out, in] from compressed-tensors' weight_shape; otherwise from the packed shape. */
  shape?: [number, number];
  /** Values per group along the input; -1 for one group per row. */
  groupSize: number;
  /** Added to stored GPTQ zeros (1 in the original format). */
  zeroOffset: number;
}

const F16_OF_INT = Array.from({ length: 257 }, (_, z) => f32ToF16Bits(z));

export async function repackZeroPoint(name: string, p: ZeroPointParts): Promise<TensorEntry> {
  const { bits } = p;
  const per = 32 / bits;
  const mask = (1 << bits) - 1;
  const [rows, cols] = p.shape ?? packedShape(p);
  const groupSize = p.groupSize === -1 ? cols : p.groupSize;
  if (cols % groupSize) throw partError(p.packed, `has ${cols} inputs, not whole groups of ${groupSize}`);
  const groups = cols / groupSize;
  expectShape(p.scales, p.packing === 'ct' ? [rows, groups] : [groups, rows], `a [${rows}, ${cols}] matrix in groups of ${groupSize}`);
  if (p.zeros) expectShape(p.zeros, [groups, rows / per], `a [${rows}, ${cols}] matrix in groups of ${groupSize}`);
  // Blocks of the runtime's layout: the file's group when it is one, else a divisor sharing its scale.
  const block = [128, 64, 32].find((b) => groupSize % b === 0 && cols % b === 0);
  if (!block) throw partError(p.packed, `groups of ${groupSize} inputs are not supported (multiples of 32)`);
  const dtype = `q${bits}z_${block}` as ZeroPointDtype;
  const rowBytes = rowBytesOf(dtype, cols);

  // Act-order checkpoints assign features to groups out of order: store columns sorted by group
  // (stable), so each block has one group; the matmul reads x through the same order.
  let order: Uint32Array | undefined;
  let groupOfStored = (k: number) => Math.floor(k / groupSize);
  if (p.groupIndex) {
    const gIdx = await readInts(p.groupIndex);
    if (gIdx.length !== cols || gIdx.some((g) => !(g >= 0 && g < groups))) throw partError(p.groupIndex, `is not ${cols} group numbers below ${groups}`);
    if (gIdx.some((g, i) => g !== Math.floor(i / groupSize))) {
      order = Uint32Array.from(gIdx.keys()).sort((a, b) => gIdx[a] - gIdx[b] || a - b);
      const o = order;
      groupOfStored = (k) => gIdx[o[k]];
      for (let k = 0; k < cols; k += block) {
        if (groupOfStored(k) !== groupOfStored(k + block - 1)) throw partError(p.groupIndex, `puts ${block} consecutive sorted inputs in different groups: groups must hold whole blocks of ${block}`);
      }
    }
  }
  const storedCol = new Uint32Array(cols);
  for (let k = 0; k < cols; k++) storedCol[order ? order[k] : k] = k;

  const repack = async () => {
    const out = new Uint8Array(rows * rowBytes);
    const bb = DTYPE_LAYOUTS[dtype].blockBytes;
    const half = block / 2;
    // 8-bit: byte j is value j; 4-bit: byte j holds value j (low nibble) and j + block / 2 (high).
    const put = (o: number, i: number, q: number) => {
      const k = storedCol[i];
      const b = (k / block) | 0;
      const j = k - b * block;
      if (bits === 8) out[o * rowBytes + b * bb + 4 + j] = q;
      else out[o * rowBytes + b * bb + 4 + (j % half)] |= j < half ? q : q << 4;
    };
    const packed = await readWords(p.packed);
    if (p.packing === 'gptq') {
      for (let r = 0; r < cols / per; r++)
        for (let o = 0; o < rows; o++) {
          const w = packed[r * rows + o];
          for (let s = 0; s < per; s++) put(o, per * r + s, (w >>> (bits * s)) & mask);
        }
    } else if (p.packing === 'awq') {
      for (let i = 0; i < cols; i++)
        for (let c = 0; c < rows / 8; c++) {
          const w = packed[i * (rows / 8) + c];
          for (let s = 0; s < 8; s++) put(8 * c + AWQ_ORDER[s], i, (w >>> (4 * s)) & 15);
        }
    } else {
      const words = Math.ceil(cols / per);
      for (let o = 0; o < rows; o++)
        for (let j = 0; j < words; j++) {
          const w = packed[o * words + j];
          for (let s = 0; s < per && per * j + s < cols; s++) put(o, per * j + s, (w >>> (bits * s)) & mask);
        }
    }
    const scales = await readScalesF16(p.scales);
    const zeros = p.zeros ? await readWords(p.zeros) : undefined;
    const view = new DataView(out.buffer);
    for (let o = 0; o < rows; o++) {
      const slot = p.packing === 'awq' ? AWQ_ORDER.indexOf(o & 7) : o % per;
      for (let b = 0; b < cols / block; b++) {
        const g = groupOfStored(b * block);
        const z = zeros ? ((zeros[g * (rows / per) + Math.floor(o / per)] >>> (bits * slot)) & mask) + p.zeroOffset : 1 << (bits - 1);
        const at = o * rowBytes + b * bb;
        view.setUint16(at, scales[p.packing === 'ct' ? o * groups + g : g * rows + o], true);
        view.setUint16(at + 2, F16_OF_INT[z], true);
      }
    }
    return out;
  };
  const label = `${{ gptq: 'GPTQ', awq: 'AWQ', ct: 'compressed-tensors' }[p.packing]} INT${bits}`;
  const source = wholeSource(`${p.packed.source.name} (${name}, ${label})`, rows, rowBytes, repack);
  return { name, dtype, shape: [rows, cols], source, offset: 0, byteLength: rows * rowBytes, columnOrder: order };
}

/** [out, in] implied by the packed tensor's shape. */
function packedShape(p: ZeroPointParts): [number, number] {
  const [a, b] = p.packed.shape;
  if (p.packed.shape.length !== 2) throw partError(p.packed, `has shape [${p.packed.shape}]: packed weights are matrices`);
  return p.packing === 'gptq' ? [b, (a * 32) / p.bits] : [(b * 32) / p.bits, a];
}
