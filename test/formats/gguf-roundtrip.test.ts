import { describe, expect, it } from 'vitest';
import { GGML_TYPE_ID, GGML_TYPES } from '../../src/formats/ggml-types.ts';
import { GGUF_VALUE, readGguf } from '../../src/formats/gguf.ts';
import { writeGguf, type GgufWriteTensor, type GgufWriteValue } from '../../src/formats/gguf-writer.ts';
import { dequantizeRows, f32ToBf16, f32ToF16, quantizeQ4_0, quantizeQ8_0 } from '../../src/formats/numeric.ts';
import { sourceFromBytes } from '../../src/formats/source.ts';
import { randomBytes, randomFloats } from './helpers.ts';

/** writeGguf -> readGguf keeps every metadata type, every tensor type, shapes and alignment. */
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

const METADATA: [string, GgufWriteValue, unknown][] = [
  // [key, written, read back]
  ['general.architecture', { type: 'string', value: 'qwen2' }, 'qwen2'],
  ['t.string.unicode', { type: 'string', value: 'Grüße 你好 🙂 <｜User｜>' }, 'Grüße 你好 🙂 <｜User｜>'],
  ['t.string.empty', { type: 'string', value: '' }, ''],
  ['t.u8', { type: 'u8', value: 255 }, 255],
  ['t.i8', { type: 'i8', value: -128 }, -128],
  ['t.u16', { type: 'u16', value: 65535 }, 65535],
  ['t.i16', { type: 'i16', value: -32768 }, -32768],
  ['t.u32', { type: 'u32', value: 4294967295 }, 4294967295],
  ['t.i32', { type: 'i32', value: -2147483648 }, -2147483648],
  ['t.f32', { type: 'f32', value: 0.1 }, Math.fround(0.1)],
  ['t.f64', { type: 'f64', value: 0.1 }, 0.1],
  ['t.bool.true', { type: 'bool', value: true }, true],
  ['t.bool.false', { type: 'bool', value: false }, false],
  ['t.u64.small', { type: 'u64', value: 2 ** 53 - 1 }, 2 ** 53 - 1],
  ['t.u64.big', { type: 'u64', value: 2n ** 53n + 1n }, 2n ** 53n + 1n],
  ['t.u64.max', { type: 'u64', value: 2n ** 64n - 1n }, 2n ** 64n - 1n],
  ['t.i64.small', { type: 'i64', value: -(2 ** 53 - 1) }, -(2 ** 53 - 1)],
  ['t.i64.big', { type: 'i64', value: -(2n ** 53n) - 1n }, -(2n ** 53n) - 1n],
  ['t.i64.min', { type: 'i64', value: -(2n ** 63n) }, -(2n ** 63n)],
  ['t.array.string', { type: 'array', itemType: 'string', value: ['Ġthe', '', '世界', 'a b'] }, ['Ġthe', '', '世界', 'a b']],
  ['t.array.u8', { type: 'array', itemType: 'u8', value: [1, 255] }, [1, 255]],
  ['t.array.i8', { type: 'array', itemType: 'i8', value: [-1, 127] }, [-1, 127]],
  ['t.array.u16', { type: 'array', itemType: 'u16', value: [7, 65535] }, [7, 65535]],
  ['t.array.i16', { type: 'array', itemType: 'i16', value: [-7, 32767] }, [-7, 32767]],
  ['t.array.u32', { type: 'array', itemType: 'u32', value: [151936, 4294967295] }, [151936, 4294967295]],
  ['t.array.i32', { type: 'array', itemType: 'i32', value: [1, 3, 4, -5] }, [1, 3, 4, -5]],
  ['t.array.f32', { type: 'array', itemType: 'f32', value: [-1.5, 0.3] }, [-1.5, Math.fround(0.3)]],
  ['t.array.f64', { type: 'array', itemType: 'f64', value: [-1.5, 0.3] }, [-1.5, 0.3]],
  ['t.array.bool', { type: 'array', itemType: 'bool', value: [true, false, true] }, [true, false, true]],
  ['t.array.u64', { type: 'array', itemType: 'u64', value: [1n, 2n ** 63n] }, [1, 2n ** 63n]],
  ['t.array.i64', { type: 'array', itemType: 'i64', value: [-1n, -(2n ** 60n)] }, [-1, -(2n ** 60n)]],
  ['t.array.empty', { type: 'array', itemType: 'string', value: [] }, []],
];

/** One tensor of each computable type, one of a type we only locate (TQ2_0), 1 to 4 dims. */
function tensors(): GgufWriteTensor[] {
  const x = randomFloats(4 * 3 * 64, 3);
  return [
    { name: 'a.f32', ggmlType: GGML_TYPE_ID.f32, shape: [3, 5], data: bytesOf(x.slice(0, 15)) },
    { name: 'b.f16', ggmlType: GGML_TYPE_ID.f16, shape: [2, 3, 4, 5], data: bytesOf(f32ToF16(x.slice(0, 120))) },
    { name: 'c.bf16', ggmlType: GGML_TYPE_ID.bf16, shape: [7], data: bytesOf(f32ToBf16(x.slice(0, 7))) },
    { name: 'd.q8_0', ggmlType: GGML_TYPE_ID.q8_0, shape: [3, 64], data: quantizeQ8_0(x.slice(0, 192)) },
    { name: 'e.q4_0', ggmlType: GGML_TYPE_ID.q4_0, shape: [4, 3, 64], data: quantizeQ4_0(x) },
    { name: 'f.tq2_0', ggmlType: 35, shape: [2, 256], data: randomBytes(2 * 66, 5) },
  ];
}

describe('writeGguf -> readGguf', () => {
  it('keeps every metadata value type, 64-bit integers beyond 2^53 as bigint', async () => {
    const g = await readGguf(sourceFromBytes(writeGguf(METADATA.map(([k, v]) => [k, v]), []), 'md.gguf'));
    expect(g.version).toBe(3);
    expect([...g.metadata.keys()]).toEqual(METADATA.map(([k]) => k));
    for (const [key, , want] of METADATA) expect(g.metadata.get(key), key).toEqual(want);
    // toEqual does not tell 1n from 1: check the kinds that matter.
    expect(typeof g.metadata.get('t.u64.small')).toBe('number');
    expect(typeof g.metadata.get('t.u64.big')).toBe('bigint');
    expect(typeof g.metadata.get('t.i64.big')).toBe('bigint');
    expect((g.metadata.get('t.array.u64') as unknown[]).map((v) => typeof v)).toEqual(['number', 'bigint']);
  });

  it('covers every GGUF value type', () => {
    const written = new Set(METADATA.flatMap(([, v]) => (v.type === 'array' ? [v.type, v.itemType] : [v.type])));
    expect(written.size).toBe(Object.keys(GGUF_VALUE).length);
  });

  for (const alignment of [32, 64, 256]) {
    it(`locates every tensor type, in PyTorch order, aligned to ${alignment}`, async () => {
      const ts = tensors();
      const bytes = writeGguf([['general.architecture', { type: 'string', value: 'llama' }]], ts, alignment);
      const g = await readGguf(sourceFromBytes(bytes, 'tensors.gguf'));
      expect(g.alignment).toBe(alignment);
      expect(g.metadata.get('general.alignment')).toBe(alignment === 32 ? undefined : alignment);
      expect(g.dataOffset % alignment).toBe(0);
      expect(g.tensors.map((t) => t.name)).toEqual(ts.map((t) => t.name));
      for (const [i, t] of g.tensors.entries()) {
        expect(t.shape, t.name).toEqual(ts[i].shape);
        expect(t.offset % alignment, t.name).toBe(0);
        expect(t.byteLength, t.name).toBe(ts[i].data.length);
        expect(await t.source.read(t.offset, t.byteLength), t.name).toEqual(ts[i].data);
      }
      expect(g.tensors.map((t) => t.dtype)).toEqual(['f32', 'f16', 'bf16', 'q8_0', 'q4_0', { unsupported: 'TQ2_0' }]);
      // Data padding is zeros and the next tensor starts at the next multiple.
      const [a, b] = g.tensors;
      expect(b.offset).toBe(a.offset + Math.ceil(a.byteLength / alignment) * alignment);
      expect(bytes.subarray(a.offset + a.byteLength, b.offset).every((v) => v === 0)).toBe(true);
    });
  }

  it('lays the data out by a general.alignment already in the metadata (as copied from a file read back)', async () => {
    const ts = tensors();
    const md: [string, GgufWriteValue][] = [['general.alignment', { type: 'u32', value: 128 }]];
    const g = await readGguf(sourceFromBytes(writeGguf(md, ts), 'copied.gguf'));
    expect(g.alignment).toBe(128);
    expect(g.metadata.size).toBe(1);
    for (const [i, t] of g.tensors.entries()) {
      expect(t.offset % 128, t.name).toBe(0);
      expect(await t.source.read(t.offset, t.byteLength), t.name).toEqual(ts[i].data);
    }
    expect(() => writeGguf(md, ts, 64)).toThrow(/alignment 64 contradicts metadata general.alignment 128/);
  });

  it('stores dims innermost first, as ggml does', async () => {
    const bytes = writeGguf([], [{ name: 'w', ggmlType: GGML_TYPE_ID.f32, shape: [2, 3, 5], data: new Uint8Array(120) }]);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    // header 24, name (8 + 1), n_dims 4, then the dims.
    expect(view.getUint32(33, true)).toBe(3);
    expect([37, 45, 53].map((o) => Number(view.getBigUint64(o, true)))).toEqual([5, 3, 2]);
  });

  it('decodes quantized tensors it wrote back to the quantizer output', async () => {
    const ts = tensors();
    const g = await readGguf(sourceFromBytes(writeGguf([], ts), 'q.gguf'));
    const q = g.tensors.find((t) => t.name === 'd.q8_0')!;
    const back = dequantizeRows('q8_0', await q.source.read(q.offset, q.byteLength), 3, 64);
    expect(back).toEqual(dequantizeRows('q8_0', ts[3].data, 3, 64));
    expect(back.every((v) => Number.isFinite(v))).toBe(true);
    expect(GGML_TYPES[12].name).toBe('Q4_K');
  });
});
