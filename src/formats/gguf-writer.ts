import type { GgmlDtype } from './dtypes.ts';
import { GGML_TYPE_ID, GGML_TYPES } from './ggml-types.ts';
import { GGUF_MAGIC, GGUF_VALUE } from './gguf.ts';

/**
 * GGUF v3 writer, used to synthesize test models in the exact layout llama.cpp's gguf-py writes:
 * header, metadata, tensor infos (dims innermost first), then data aligned to `alignment`.
 * Inputs llama.cpp would refuse (names of 64+ bytes, more than 4 dims, data not matching the
 * shape, values out of their type's range) throw a RangeError naming the tensor or key.
 */
type ScalarType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64' | 'u64' | 'i64' | 'bool' | 'string';

/** One metadata value with its GGUF type. */
export type GgufWriteValue =
  | { type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64'; value: number }
  | { type: 'u64' | 'i64'; value: bigint | number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: ScalarType; value: (number | bigint | boolean | string)[] };

/** One tensor: its type as a ggml type id (any, for tests of unsupported types) or a runtime dtype. */
export type GgufWriteTensor = {
  name: string;
  /** PyTorch order (outermost first); written reversed. */
  shape: number[];
  data: Uint8Array;
} & ({ ggmlType: number; dtype?: never } | { dtype: GgmlDtype; ggmlType?: never });

/** A whole file: metadata in order, tensors in order, data alignment (general.alignment is added when not 32). */
export interface GgufWriteSpec {
  metadata: [string, GgufWriteValue][];
  tensors: GgufWriteTensor[];
  alignment?: number;
}

const TYPE_IDS: Record<ScalarType | 'array', number> = {
  u8: GGUF_VALUE.UINT8, i8: GGUF_VALUE.INT8, u16: GGUF_VALUE.UINT16, i16: GGUF_VALUE.INT16,
  u32: GGUF_VALUE.UINT32, i32: GGUF_VALUE.INT32, f32: GGUF_VALUE.FLOAT32, f64: GGUF_VALUE.FLOAT64,
  bool: GGUF_VALUE.BOOL, string: GGUF_VALUE.STRING, array: GGUF_VALUE.ARRAY, u64: GGUF_VALUE.UINT64, i64: GGUF_VALUE.INT64,
};

const SIZES: Record<Exclude<ScalarType, 'string'>, number> = { u8: 1, i8: 1, bool: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, u64: 8, i64: 8, f64: 8 };

/** Inclusive ranges of the integer types; 64-bit ones also take bigint. */
const INT_RANGES: Partial<Record<ScalarType, [number | bigint, number | bigint]>> = {
  u8: [0, 0xff], i8: [-0x80, 0x7f], u16: [0, 0xffff], i16: [-0x8000, 0x7fff], u32: [0, 0xffffffff], i32: [-0x80000000, 0x7fffffff],
  u64: [0n, 2n ** 64n - 1n], i64: [-(2n ** 63n), 2n ** 63n - 1n],
};

/** A growable little-endian output buffer. */
class Sink {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private reserve(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }
  push(bytes: Uint8Array): void {
    // reserve() may swap the buffer, so call it before reading this.buf.
    const at = this.reserve(bytes.length);
    this.buf.set(bytes, at);
  }
  num(type: Exclude<ScalarType, 'string'>, v: number | bigint | boolean, what: string): void {
    const range = INT_RANGES[type];
    const ok = range
      ? (typeof v === 'bigint' && typeof range[1] === 'bigint') || (typeof v === 'number' && Number.isSafeInteger(v))
      : typeof v === (type === 'bool' ? 'boolean' : 'number');
    if (!ok || (range && ((v as number | bigint) < range[0] || (v as number | bigint) > range[1]))) {
      throw new RangeError(`${what}: ${String(v)} is not a ${type}`);
    }
    const o = this.reserve(SIZES[type]);
    const d = this.view;
    switch (type) {
      case 'u8': d.setUint8(o, v as number); break;
      case 'i8': d.setInt8(o, v as number); break;
      case 'bool': d.setUint8(o, v ? 1 : 0); break;
      case 'u16': d.setUint16(o, v as number, true); break;
      case 'i16': d.setInt16(o, v as number, true); break;
      case 'u32': d.setUint32(o, v as number, true); break;
      case 'i32': d.setInt32(o, v as number, true); break;
      case 'f32': d.setFloat32(o, v as number, true); break;
      case 'f64': d.setFloat64(o, v as number, true); break;
      case 'u64': d.setBigUint64(o, BigInt(v), true); break;
      case 'i64': d.setBigInt64(o, BigInt(v), true); break;
    }
  }
  str(s: string): void {
    const b = utf8.encode(s);
    this.num('u64', b.length, 'string length');
    this.push(b);
  }
  pad(alignment: number): void {
    this.reserve((alignment - (this.length % alignment)) % alignment);
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

const utf8 = new TextEncoder();

/** Serializes a GGUF v3 file in memory. */
export function writeGguf(spec: GgufWriteSpec): Uint8Array;
export function writeGguf(metadata: [string, GgufWriteValue][], tensors: GgufWriteTensor[], alignment?: number): Uint8Array;
export function writeGguf(a: GgufWriteSpec | [string, GgufWriteValue][], b?: GgufWriteTensor[], c?: number): Uint8Array {
  const { metadata, tensors, alignment: given } = Array.isArray(a) ? { metadata: a, tensors: b ?? [], alignment: c } : a;
  const infos = tensors.map((t) => ({ name: t.name, ggmlType: checkTensor(t), shape: t.shape, byteLength: t.data.length }));
  const { header, offsets, alignment } = encodeGgufHeader(metadata, infos, given);
  const end = offsets.length ? header.length + offsets[offsets.length - 1] + tensors[tensors.length - 1].data.length : header.length;
  // gguf-py pads after every tensor, the last one included.
  const out = new Uint8Array(Math.ceil(end / alignment) * alignment);
  out.set(header);
  tensors.forEach((t, i) => out.set(t.data, header.length + offsets[i]));
  return out;
}

/**
 * A model split into `parts` files as llama.cpp's gguf-split writes it: the tensors in consecutive
 * runs, the metadata in the first part only, and in every part `split.no` (u16, from 0),
 * `split.count` (u16) and `split.tensors.count` (i32). Name them with ggufPartNames().
 */
export function writeSplitGguf(metadata: [string, GgufWriteValue][], tensors: GgufWriteTensor[], parts: number): Uint8Array[] {
  if (!Number.isInteger(parts) || parts < 2 || parts > tensors.length) throw new RangeError(`cannot split ${tensors.length} tensors into ${parts} parts`);
  const cut = (i: number) => Math.floor((i * tensors.length) / parts);
  return Array.from({ length: parts }, (_, i) => {
    const split: [string, GgufWriteValue][] = [
      ['split.no', { type: 'u16', value: i }],
      ['split.count', { type: 'u16', value: parts }],
      ['split.tensors.count', { type: 'i32', value: tensors.length }],
    ];
    return writeGguf([...(i === 0 ? metadata : []), ...split], tensors.slice(cut(i), cut(i + 1)));
  });
}

/** A tensor as the header describes it: where its data goes, not the data. */
export interface GgufTensorInfo {
  name: string;
  ggmlType: number;
  /** PyTorch order (outermost first); written reversed. */
  shape: number[];
  byteLength: number;
}

/**
 * The header of a GGUF file (metadata, tensor infos, padding) and each tensor's data offset from the
 * end of the header, so that large files can be written tensor by tensor.
 */
export function encodeGgufHeader(
  metadata: [string, GgufWriteValue][],
  tensors: GgufTensorInfo[],
  given?: number,
): { header: Uint8Array; offsets: number[]; alignment: number } {
  // Readers lay the data out by general.alignment: when the metadata carries one (copied from a file
  // read back), the data must follow it, or every tensor offset would be read at the wrong place.
  const inMd = metadata.find(([k]) => k === 'general.alignment')?.[1];
  const mdAlignment = inMd === undefined ? undefined : Number(inMd.value);
  if (given !== undefined && mdAlignment !== undefined && given !== mdAlignment) {
    throw new RangeError(`alignment ${given} contradicts metadata general.alignment ${mdAlignment}`);
  }
  const alignment = given ?? mdAlignment ?? 32;
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) throw new RangeError(`alignment ${alignment} is not a positive multiple of 8`);
  const s = new Sink();
  s.num('u32', GGUF_MAGIC, 'magic');
  s.num('u32', 3, 'version');
  s.num('u64', tensors.length, 'tensor count');
  const md: [string, GgufWriteValue][] = alignment === 32 || inMd ? metadata : [...metadata, ['general.alignment', { type: 'u32', value: alignment }]];
  if (new Set(md.map(([k]) => k)).size !== md.length) throw new RangeError('metadata has a key twice');
  s.num('u64', md.length, 'metadata count');
  for (const [key, v] of md) {
    s.str(key);
    s.num('u32', TYPE_IDS[v.type], key);
    if (v.type === 'string') s.str(v.value);
    else if (v.type === 'array') {
      s.num('u32', TYPE_IDS[v.itemType], key);
      s.num('u64', v.value.length, key);
      for (const item of v.value) {
        if (v.itemType === 'string') {
          if (typeof item !== 'string') throw new RangeError(`${key}: ${String(item)} is not a string`);
          s.str(item);
        } else s.num(v.itemType, item as number | bigint | boolean, key);
      }
    } else s.num(v.type, v.value, key);
  }
  if (new Set(tensors.map((t) => t.name)).size !== tensors.length) throw new RangeError('two tensors have the same name');
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    offsets.push(offset);
    offset += Math.ceil(t.byteLength / alignment) * alignment;
  }
  tensors.forEach((t, i) => {
    s.str(t.name);
    s.num('u32', t.shape.length, t.name);
    for (const d of [...t.shape].reverse()) s.num('u64', d, t.name);
    s.num('u32', t.ggmlType, t.name);
    s.num('u64', offsets[i], t.name);
  });
  s.pad(alignment);
  return { header: s.bytes(), offsets, alignment };
}

/** The tensor's ggml type id, after checking what llama.cpp checks when it loads the file. */
function checkTensor(t: GgufWriteTensor): number {
  const id = t.dtype !== undefined ? GGML_TYPE_ID[t.dtype] : t.ggmlType;
  const type = GGML_TYPES[id];
  if (!type) throw new RangeError(`tensor "${t.name}": unknown ggml type ${id}`);
  if (utf8.encode(t.name).length >= 64) throw new RangeError(`tensor "${t.name}": names are limited to 63 bytes (GGML_MAX_NAME)`);
  if (t.shape.length > 4) throw new RangeError(`tensor "${t.name}": ${t.shape.length} dims, at most 4`);
  const elems = t.shape.reduce((a, d) => a * d, 1);
  const inner = t.shape.length ? t.shape[t.shape.length - 1] : 1;
  if (inner % type.blockElems !== 0) throw new RangeError(`tensor "${t.name}": rows of ${inner} are not whole ${type.name} blocks of ${type.blockElems}`);
  const bytes = (elems / type.blockElems) * type.blockBytes;
  if (t.data.length !== bytes) throw new RangeError(`tensor "${t.name}": shape [${t.shape}] of ${type.name} needs ${bytes} bytes, data has ${t.data.length}`);
  return id;
}
