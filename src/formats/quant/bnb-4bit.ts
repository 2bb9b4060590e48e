import { rowBytes as rowBytesOf, type Bnb4BitCode, type Bnb4BitDtype } from '../dtypes.ts';
import { BNB_4BIT_VALUES } from '../numeric.ts';
import type { TensorEntry } from '../tensor.ts';
import { expectShape, fileDtype, partError, readScalesF32, rowSource } from './parts.ts';

/**
 * bitsandbytes 4-bit Linear weights (transformers' load_in_4bit, unsloth's "bnb-4bit" uploads), NF4 or
 * FP4 -> the runtime's `nf4_64` / `fp4_64` rows: each 64-value block's f32 absmax, then its 32 packed
 * bytes as stored.
 *
 * bitsandbytes quantizes the flattened [out, in] matrix in blocks of 64: `weight` is U8 [out*in/2, 1],
 * value 2j in the high nibble of byte j; `weight.absmax` holds each block's absmax, as F32, or with
 * double quantization as U8 codes into `weight.nested_quant_map` (256 F32 values), times the F32
 * `weight.nested_absmax` of their group of `nested_blocksize` blocks, plus `nested_offset`: all in f32,
 * as bitsandbytes' dequantize_4bit computes them. The JSON quant state (shape, blocksize, type) is a U8
 * tensor named `weight.quant_state.bitsandbytes__nf4` (or `__fp4`).
 */
export function bnb4BitState(code: Bnb4BitCode): string {
  return `.weight.quant_state.bitsandbytes__${code}`;
}

const BLOCK = 64;

export interface Bnb4BitParts {
  code: Bnb4BitCode;
  packed: TensorEntry;
  state: TensorEntry;
  absmax: TensorEntry;
  quantMap: TensorEntry;
  nestedAbsmax?: TensorEntry;
  nestedQuantMap?: TensorEntry;
}

interface QuantState {
  shape: [number, number];
  nestedBlocksize: number;
  nestedOffset: number;
}

async function readState(t: TensorEntry, code: Bnb4BitCode): Promise<QuantState> {
  if (fileDtype(t) !== 'U8') throw partError(t, `is ${fileDtype(t)}, but a bitsandbytes quant state is U8 bytes of JSON`);
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(new TextDecoder().decode(await t.source.read(t.offset, t.byteLength)));
  } catch (e) {
    throw partError(t, `is not a JSON quant state (${(e as Error).message})`);
  }
  if (s.quant_type !== code) throw partError(t, `says quant_type ${JSON.stringify(s.quant_type)}, but its name says ${code}`);
  if (s.blocksize !== BLOCK) throw partError(t, `says blocksize ${JSON.stringify(s.blocksize)}: only ${BLOCK} is supported`);
  const shape = s.shape;
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw partError(t, `says shape ${JSON.stringify(shape)}, not a matrix`);
  }
  const nestedBlocksize = s.nested_blocksize === undefined ? 0 : Number(s.nested_blocksize);
  const nestedOffset = s.nested_offset === undefined ? 0 : Number(s.nested_offset);
  if (!Number.isInteger(nestedBlocksize) || nestedBlocksize < 0 || !Number.isFinite(nestedOffset)) {
    throw partError(t, `says nested_blocksize ${JSON.stringify(s.nested_blocksize)}, nested_offset ${JSON.stringify(s.nested_offset)}`);
  }
  return { shape: shape as [number, number], nestedBlocksize, nestedOffset };
}

/** Each block's absmax in f32: stored, or undone from double quantization as bitsandbytes does. */
async function blockAbsmax(p: Bnb4BitParts, st: QuantState, blocks: number): Promise<Float32Array> {
  if (!p.nestedAbsmax) {
    expectShape(p.absmax, [blocks], `${blocks} blocks of ${BLOCK}`);
    return readScalesF32(p.absmax);
  }
  if (!p.nestedQuantMap || st.nestedBlocksize === 0) throw partError(p.absmax, 'is double-quantized, but its nested quant map or nested_blocksize is missing');
  if (fileDtype(p.absmax) !== 'U8') throw partError(p.absmax, `is ${fileDtype(p.absmax)}, but double-quantized absmax codes are U8`);
  expectShape(p.absmax, [blocks], `${blocks} blocks of ${BLOCK}`);
  expectShape(p.nestedQuantMap, [256], 'an 8-bit code book');
  expectShape(p.nestedAbsmax, [Math.ceil(blocks / st.nestedBlocksize)], `${blocks} blocks in groups of ${st.nestedBlocksize}`);
  const codes = await p.absmax.source.read(p.absmax.offset, p.absmax.byteLength);
  const map = await readScalesF32(p.nestedQuantMap);
  const nested = await readScalesF32(p.nestedAbsmax);
  const offset = Math.fround(st.nestedOffset);
  return Float32Array.from(codes, (c, i) => Math.fround(Math.fround(map[c] * nested[Math.floor(i / st.nestedBlocksize)]) + offset));
}

export async function repackBnb4Bit(p: Bnb4BitParts): Promise<TensorEntry> {
  const st = await readState(p.state, p.code);
  const label = p.code.toUpperCase();
  const dtype: Bnb4BitDtype = `${p.code}_64`;
  const [M, N] = st.shape;
  if (N % BLOCK) throw partError(p.state, `says rows of ${N} values, not whole ${BLOCK}-value ${label} blocks`);
  if (fileDtype(p.packed) !== 'U8') throw partError(p.packed, `is ${fileDtype(p.packed)}: only bitsandbytes weights packed in U8 are supported`);
  expectShape(p.packed, [(M * N) / 2, 1], `an ${label} weight of shape [${M}, ${N}]`);
  expectShape(p.quantMap, [16], `the ${label} code book`);
  const map = await readScalesF32(p.quantMap);
  const levels = BNB_4BIT_VALUES[p.code];
  const other = map.findIndex((v, i) => v !== levels[i]);
  if (other >= 0) throw partError(p.quantMap, `holds ${map[other]} at index ${other}, not ${label}'s ${levels[other]}: a different 4-bit code book is not supported`);
  const absmax = await blockAbsmax(p, st, (M * N) / BLOCK);
  const rowBytes = rowBytesOf(dtype, N);
  const blocksPerRow = N / BLOCK;
  const source = rowSource(`${p.packed.source.name} (${p.packed.name}, ${label})`, M, rowBytes, async (r0, r1) => {
    const raw = await p.packed.source.read(p.packed.offset + (r0 * N) / 2, ((r1 - r0) * N) / 2);
    const out = new Uint8Array((r1 - r0) * rowBytes);
    const view = new DataView(out.buffer);
    for (let r = r0; r < r1; r++) {
      for (let b = 0; b < blocksPerRow; b++) {
        const o = (r - r0) * rowBytes + b * 36;
        view.setFloat32(o, absmax[r * blocksPerRow + b], true);
        const at = ((r - r0) * N) / 2 + b * 32;
        out.set(raw.subarray(at, at + 32), o + 4);
      }
    }
    return out;
  });
  return { name: p.packed.name, dtype, shape: [M, N], source, offset: 0, byteLength: M * rowBytes };
}
