import { SAFETENSORS_ITEM_BYTES } from './safetensors.ts';

/** One tensor to write: a safetensors dtype string (F32, F16, BF16, I32, F8_E4M3, ...), row-major data. */
export interface SafetensorsWriteTensor {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/**
 * Serializes a safetensors file in memory (test models): tensors in the order given, the JSON header
 * padded with spaces to 8 bytes as the reference writer does. Data that does not match its shape
 * and dtype throws a RangeError naming the tensor.
 */
export function writeSafetensors(tensors: SafetensorsWriteTensor[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const item = Object.hasOwn(SAFETENSORS_ITEM_BYTES, t.dtype) ? SAFETENSORS_ITEM_BYTES[t.dtype] : undefined;
    if (!item) throw new RangeError(`tensor "${t.name}": unknown safetensors dtype ${t.dtype}`);
    const bytes = t.shape.reduce((a, d) => a * d, item);
    if (bytes !== t.data.length) throw new RangeError(`tensor "${t.name}": shape [${t.shape}] of ${t.dtype} needs ${bytes} bytes, data has ${t.data.length}`);
    if (Object.hasOwn(header, t.name)) throw new RangeError(`tensor "${t.name}" is given twice`);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let o = 8 + padded;
  for (const t of tensors) {
    out.set(t.data, o);
    o += t.data.length;
  }
  return out;
}
