import { GGML_F16_SCALES, GGML_SPREAD_SCALES, scaleCheckedSource } from './block-scales.ts';
import { ByteCursor } from './byte-cursor.ts';
import { FormatError } from './errors.ts';
import { GGML_TYPES } from './ggml-types.ts';
import { wrongFileHint } from './sniff.ts';
import type { ByteSource } from './source.ts';
import type { TensorEntry } from './tensor.ts';

/**
 * A metadata value: integers as number (u64/i64 as bigint only beyond 2^53), arrays as JS arrays.
 */
export type GgufValue = number | bigint | boolean | string | GgufValue[];

/** Metadata in file order, remembering which file it came from so getters can name it in errors. */
export class GgufMetadata extends Map<string, GgufValue> {
  constructor(readonly file: string) {
    super();
  }
}

/** A parsed GGUF header: metadata, and where each tensor's bytes are (none of them read). */
export interface GgufFile {
  version: number;
  metadata: GgufMetadata;
  tensors: TensorEntry[];
  alignment: number;
  dataOffset: number;
}

/** "GGUF" read as a little-endian u32. */
export const GGUF_MAGIC = 0x46554747;

/** Metadata value types (gguf.md). */
export const GGUF_VALUE = {
  UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12,
} as const;

const MAX_DIMS = 4;

/**
 * Bounds on what a header may claim. Real headers are a few MiB (a 150k-token vocabulary with its
 * merges is about 7 MiB; arrays have at most a few hundred thousand entries), but a corrupt count in a
 * multi-gigabyte file would otherwise pass the "fits in the file" checks and ask for gigabytes.
 */
export const MAX_GGUF_HEADER_BYTES = 64 * 2 ** 20;
export const MAX_GGUF_ARRAY_ELEMENTS = 2 ** 23;
/** Arrays of arrays are legal but unused by real files; deeper nesting than this is refused. */
const MAX_ARRAY_DEPTH = 4;

/** Smallest encoding of one value of each metadata type, to bound counts by the bytes left. */
const MIN_VALUE_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 8: 8, 9: 12, 10: 8, 11: 8, 12: 8 };

/** Decoders of the fixed-size numeric types (bool and 64-bit integers go through `value`, which checks them). */
const FIXED_READERS: Record<number, (v: DataView, o: number) => number> = {
  0: (v, o) => v.getUint8(o),
  1: (v, o) => v.getInt8(o),
  2: (v, o) => v.getUint16(o, true),
  3: (v, o) => v.getInt16(o, true),
  4: (v, o) => v.getUint32(o, true),
  5: (v, o) => v.getInt32(o, true),
  6: (v, o) => v.getFloat32(o, true),
  12: (v, o) => v.getFloat64(o, true),
};

/**
 * Reads a GGUF header (v2 and v3, little-endian; ggml docs/gguf.md) in chunks, never the whole file.
 * Every count, length and offset is checked against the file size (and the header against
 * MAX_GGUF_HEADER_BYTES) before use, so a corrupt header fails fast with a FormatError instead of
 * allocating gigabytes.
 */
export async function readGguf(src: ByteSource): Promise<GgufFile> {
  const headerEnd = Math.min(src.size, MAX_GGUF_HEADER_BYTES);
  const c = new ByteCursor(src, undefined, headerEnd);
  const room = headerEnd < src.size ? `the ${MAX_GGUF_HEADER_BYTES / 2 ** 20} MiB a header may take` : `its ${src.size} bytes`;
  const fail = (problem: string): never => {
    throw new FormatError(src.name, problem);
  };
  if (src.size < 24) fail(`is ${src.size} bytes long: too short to be a GGUF file`);
  const magic = await c.u32();
  if (magic !== GGUF_MAGIC) fail(`is not a GGUF file (bad magic ${hex(magic)}; expected "GGUF")${wrongFileHint(await src.read(0, Math.min(64, src.size)))}`);
  const version = await c.u32();
  // v3 allows big-endian files: their version reads as 0x03000000 here.
  if (version > 0xffff && (version & 0xffff) === 0) fail('is a big-endian GGUF; only little-endian files are supported (convert it again without --bigendian)');
  if (version === 1) fail('is GGUF version 1, which is obsolete: convert it again with a current llama.cpp');
  if (version !== 2 && version !== 3) fail(`has GGUF version ${version}; versions 2 and 3 are supported`);
  const count = async (what: string, minEntryBytes: number) => {
    const n = await c.u64();
    if (n > BigInt(headerEnd - c.pos) / BigInt(minEntryBytes)) fail(`claims ${n} ${what}, more than ${room} could hold (truncated or corrupt header)`);
    return Number(n);
  };
  const nTensors = await count('tensors', 8 + 4 + 4 + 8);
  const nKv = await count('metadata entries', 8 + 4 + 1);

  const tooLong = (what: string) => (len: bigint) => fail(`a string length (${len}) in ${what} runs past ${headerEnd < src.size ? room : 'the end of the file'}`);
  const str = async (what: string) => (await c.strings(1, tooLong(what)))[0];
  const value = async (type: number, key: string, depth = 0): Promise<GgufValue> => {
    switch (type) {
      case GGUF_VALUE.UINT8: return c.u8();
      case GGUF_VALUE.INT8: return c.i8();
      case GGUF_VALUE.UINT16: return c.u16();
      case GGUF_VALUE.INT16: return c.i16();
      case GGUF_VALUE.UINT32: return c.u32();
      case GGUF_VALUE.INT32: return c.i32();
      case GGUF_VALUE.FLOAT32: return c.f32();
      case GGUF_VALUE.FLOAT64: return c.f64();
      case GGUF_VALUE.BOOL: {
        const b = await c.u8();
        if (b > 1) fail(`metadata "${key}" has boolean byte ${b}`);
        return b === 1;
      }
      case GGUF_VALUE.STRING: return str(`metadata "${key}"`);
      case GGUF_VALUE.UINT64: return smallest(await c.u64());
      case GGUF_VALUE.INT64: return smallest(await c.i64());
      case GGUF_VALUE.ARRAY: {
        const elemType = await c.u32();
        const minBytes = MIN_VALUE_BYTES[elemType];
        if (minBytes === undefined) fail(`metadata array "${key}" has unknown element type ${elemType}`);
        // Unbounded nesting would let a header build millions of nested arrays from a few bytes each.
        if (elemType === GGUF_VALUE.ARRAY && depth + 1 >= MAX_ARRAY_DEPTH) fail(`metadata "${key}" nests arrays more than ${MAX_ARRAY_DEPTH} deep`);
        const n = await count(`elements in metadata array "${key}"`, minBytes);
        if (n > MAX_GGUF_ARRAY_ELEMENTS) fail(`metadata array "${key}" claims ${n} elements (at most ${MAX_GGUF_ARRAY_ELEMENTS}): corrupt header`);
        const fixed = FIXED_READERS[elemType];
        // Numeric arrays (token types, scores) in one read rather than one await per element.
        if (fixed) {
          const bytes = await c.bytes(n * minBytes);
          const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          return Array.from({ length: n }, (_, i) => fixed(view, i * minBytes));
        }
        if (elemType === GGUF_VALUE.STRING) return c.strings(n, tooLong(`metadata "${key}"`));
        const out: GgufValue[] = new Array(n);
        for (let i = 0; i < n; i++) out[i] = await value(elemType, key, depth + 1);
        return out;
      }
      default:
        return fail(`metadata "${key}" has unknown value type ${type}`);
    }
  };

  const metadata = new GgufMetadata(src.name);
  for (let i = 0; i < nKv; i++) {
    const key = await str('a metadata key');
    const type = await c.u32();
    if (metadata.has(key)) fail(`has metadata key "${key}" twice`);
    metadata.set(key, await value(type, key));
  }

  const alignment = metadata.has('general.alignment') ? Number(metadata.get('general.alignment')) : 32;
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) fail(`general.alignment ${alignment} is not a positive multiple of 8`);

  const infos: { name: string; dims: number[]; type: number; offset: bigint }[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const name = await str('a tensor name');
    if (seen.has(name)) fail(`has tensor "${name}" twice`);
    seen.add(name);
    const nDims = await c.u32();
    if (nDims > MAX_DIMS) fail(`tensor "${name}" has ${nDims} dimensions (at most ${MAX_DIMS})`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) {
      const v = await c.u64();
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`tensor "${name}" has dimension ${v}, beyond 2^53`);
      dims.push(Number(v));
    }
    infos.push({ name, dims, type: await c.u32(), offset: await c.u64() });
  }
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;

  const tensors: TensorEntry[] = infos.map(({ name, dims, type, offset }) => {
    const t = GGML_TYPES[type];
    if (!t) return fail(`tensor "${name}" has unknown ggml type ${type} (from a newer llama.cpp?); re-quantize it to Q8_0, Q4_0, F16 or BF16`);
    const elems = dims.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(elems)) fail(`tensor "${name}" has ${dims.join(' x ')} elements, beyond 2^53`);
    // A 0-dim tensor is one row of one value: never a whole quant block (its byte length would be fractional).
    const rowLen = dims.length ? dims[0] : 1;
    if (rowLen % t.blockElems !== 0) fail(`tensor "${name}" rows of ${rowLen} are not whole ${t.name} blocks of ${t.blockElems}`);
    if (offset % BigInt(alignment) !== 0n) fail(`tensor "${name}" data offset ${offset} is not aligned to ${alignment}`);
    const byteLength = (elems / t.blockElems) * t.blockBytes;
    const start = dataOffset + Number(offset);
    if (offset > BigInt(src.size) || start + byteLength > src.size) {
      fail(`tensor "${name}" ends at byte ${start + byteLength} but the file has ${src.size} bytes (truncated download?)`);
    }
    const scales = Object.hasOwn(GGML_F16_SCALES, t.name) ? GGML_F16_SCALES[t.name] : Object.hasOwn(GGML_SPREAD_SCALES, t.name) ? GGML_SPREAD_SCALES[t.name] : null;
    return {
      name,
      dtype: t.dtype ?? { unsupported: t.name },
      // GGUF lists dims innermost first: reverse to PyTorch order.
      shape: [...dims].reverse(),
      // Quantized blocks are checked for NaN or infinite scales as they are read.
      source: scales ? scaleCheckedSource(src, { name, typeName: t.name, offset: start, byteLength, blockBytes: t.blockBytes, scales }) : src,
      offset: start,
      byteLength,
    };
  });
  return { version, metadata, tensors, alignment, dataOffset };
}

function smallest(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
