import { SAFETENSORS_ITEM_BYTES } from './safetensors.ts';

/** One tensor to write: a safetensors dtype string (F32, F16, BF16, I32, F8_E4M3, ...), row-major data. */
export interface SafetensorsWriteTensor {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/**
 * The header of a safetensors file holding `tensors` (shapes and dtypes; data follows in that
 * order): the length prefix and the JSON, padded with spaces to 8 bytes as the reference writer
 * does. Returns it with each tensor's byte offset after the header. Lets large files be written
 * tensor by tensor.
 */
export function encodeSafetensorsHeader(tensors: Omit<SafetensorsWriteTensor, 'data'>[], metadata?: Record<string, string>): { header: Uint8Array; offsets: number[]; dataBytes: number } {
  const json: Record<string, unknown> = {};
  if (metadata) json.__metadata__ = metadata;
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    const item = Object.hasOwn(SAFETENSORS_ITEM_BYTES, t.dtype) ? SAFETENSORS_ITEM_BYTES[t.dtype] : undefined;
    if (!item) throw new RangeError(`tensor "${t.name}": unknown safetensors dtype ${t.dtype}`);
    if (Object.hasOwn(json, t.name)) throw new RangeError(`tensor "${t.name}" is given twice`);
    const bytes = t.shape.reduce((a, d) => a * d, item);
    json[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offsets.push(offset);
    offset += bytes;
  }
  const text = new TextEncoder().encode(JSON.stringify(json));
  const padded = Math.ceil(text.length / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(text, 8);
  return { header, offsets, dataBytes: offset };
}

/**
 * Serializes a safetensors file in memory (test models): tensors in the order given. Data that does
 * not match its shape and dtype throws a RangeError naming the tensor.
 */
export function writeSafetensors(tensors: SafetensorsWriteTensor[], metadata?: Record<string, string>): Uint8Array {
  const { header, offsets, dataBytes } = encodeSafetensorsHeader(tensors, metadata);
  tensors.forEach((t, i) => {
    const bytes = (tensors[i + 1] ? offsets[i + 1] : dataBytes) - offsets[i];
    if (bytes !== t.data.length) throw new RangeError(`tensor "${t.name}": shape [${t.shape}] of ${t.dtype} needs ${bytes} bytes, data has ${t.data.length}`);
  });
  const out = new Uint8Array(header.length + dataBytes);
  out.set(header);
  tensors.forEach((t, i) => out.set(t.data, header.length + offsets[i]));
  return out;
}
