import { GGUF_MAGIC, GGUF_VALUE } from './gguf.ts';

/**
 * GGUF v3 writer, used to synthesize test models in the exact layout llama.cpp's gguf-py writes:
 * header, metadata, tensor infos (dims innermost first), then data aligned to `alignment`.
 */
export type GgufWriteValue =
  | { type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64'; value: number }
  | { type: 'u64' | 'i64'; value: bigint | number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64' | 'u64' | 'i64' | 'bool' | 'string'; value: (number | bigint | boolean | string)[] };

export interface GgufWriteTensor {
  name: string;
  /** ggml type id (GGML_TYPE_ID). */
  ggmlType: number;
  /** PyTorch order (outermost first); written reversed. */
  shape: number[];
  data: Uint8Array;
}

const TYPE_IDS: Record<string, number> = {
  u8: GGUF_VALUE.UINT8, i8: GGUF_VALUE.INT8, u16: GGUF_VALUE.UINT16, i16: GGUF_VALUE.INT16,
  u32: GGUF_VALUE.UINT32, i32: GGUF_VALUE.INT32, f32: GGUF_VALUE.FLOAT32, f64: GGUF_VALUE.FLOAT64,
  bool: GGUF_VALUE.BOOL, string: GGUF_VALUE.STRING, array: GGUF_VALUE.ARRAY, u64: GGUF_VALUE.UINT64, i64: GGUF_VALUE.INT64,
};

class Sink {
  private parts: Uint8Array[] = [];
  length = 0;
  push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }
  num(type: string, v: number | bigint | boolean): void {
    const sizes: Record<string, number> = { u8: 1, i8: 1, bool: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, f64: 8, u64: 8, i64: 8 };
    const b = new Uint8Array(sizes[type]);
    const d = new DataView(b.buffer);
    switch (type) {
      case 'u8': d.setUint8(0, Number(v)); break;
      case 'i8': d.setInt8(0, Number(v)); break;
      case 'bool': d.setUint8(0, v ? 1 : 0); break;
      case 'u16': d.setUint16(0, Number(v), true); break;
      case 'i16': d.setInt16(0, Number(v), true); break;
      case 'u32': d.setUint32(0, Number(v), true); break;
      case 'i32': d.setInt32(0, Number(v), true); break;
      case 'f32': d.setFloat32(0, Number(v), true); break;
      case 'f64': d.setFloat64(0, Number(v), true); break;
      case 'u64': d.setBigUint64(0, BigInt(v), true); break;
      case 'i64': d.setBigInt64(0, BigInt(v), true); break;
    }
    this.push(b);
  }
  str(s: string): void {
    const b = new TextEncoder().encode(s);
    this.num('u64', b.length);
    this.push(b);
  }
  pad(alignment: number): void {
    const n = (alignment - (this.length % alignment)) % alignment;
    if (n) this.push(new Uint8Array(n));
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

export function writeGguf(metadata: [string, GgufWriteValue][], tensors: GgufWriteTensor[], alignment = 32): Uint8Array {
  const s = new Sink();
  s.num('u32', GGUF_MAGIC);
  s.num('u32', 3);
  s.num('u64', tensors.length);
  const md: [string, GgufWriteValue][] = alignment === 32 ? metadata : [...metadata, ['general.alignment', { type: 'u32', value: alignment }]];
  s.num('u64', md.length);
  for (const [key, v] of md) {
    s.str(key);
    s.num('u32', TYPE_IDS[v.type]);
    if (v.type === 'string') s.str(v.value);
    else if (v.type === 'array') {
      s.num('u32', TYPE_IDS[v.itemType]);
      s.num('u64', v.value.length);
      for (const item of v.value) {
        if (v.itemType === 'string') s.str(item as string);
        else s.num(v.itemType, item as number | bigint | boolean);
      }
    } else s.num(v.type, v.value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    offsets.push(offset);
    offset += Math.ceil(t.data.length / alignment) * alignment;
  }
  tensors.forEach((t, i) => {
    s.str(t.name);
    s.num('u32', t.shape.length);
    for (const d of [...t.shape].reverse()) s.num('u64', d);
    s.num('u32', t.ggmlType);
    s.num('u64', offsets[i]);
  });
  s.pad(alignment);
  for (const t of tensors) {
    s.push(t.data);
    s.pad(alignment);
  }
  return s.concat();
}
