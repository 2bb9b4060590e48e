import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gguf as hfGguf } from '@huggingface/gguf';
import { describe, expect, it } from 'vitest';
import { rangeHandler } from '../../scripts/lib/range-server.ts';
import type { GgmlDtype, WeightDtype } from '../../src/formats/dtypes.ts';
import { GGML_TYPE_ID } from '../../src/formats/ggml-types.ts';
import { readGguf, type GgufValue } from '../../src/formats/gguf.ts';
import { writeGguf, type GgufWriteValue } from '../../src/formats/gguf-writer.ts';
import { dequantizeRows, f32ToBf16, f32ToF16, f32ToF16Bits, quantizeQ4_0, quantizeQ8_0 } from '../../src/formats/numeric.ts';
import { readSafetensors } from '../../src/formats/safetensors.ts';
import { sourceFromPath } from '../../src/formats/source-node.ts';
import { sourceFromUrl } from '../../src/formats/source.ts';
import type { TensorEntry } from '../../src/formats/tensor.ts';
import { randomFloats, serve, tempDir } from './helpers.ts';

/**
 * Our GGUF files against code we did not write: Hugging Face's GGUF parser reads our writer's output,
 * and our readers read files written by a stdlib-only Python script.
 */
const dir = await tempDir();

/** Integers of any width as bigint, so a u64 read as number by one reader and bigint by the other compare equal. */
function norm(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(norm);
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return v;
}

describe('our writer, read by @huggingface/gguf', async () => {
  const x = randomFloats(4 * 64, 11);
  const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const metadata: [string, GgufWriteValue][] = [
    ['general.architecture', { type: 'string', value: 'qwen2' }],
    ['general.name', { type: 'string', value: 'Tëst 模型 ✓' }],
    ['qwen2.block_count', { type: 'u32', value: 28 }],
    ['test.i8', { type: 'i8', value: -7 }],
    ['test.u16', { type: 'u16', value: 65535 }],
    ['test.f32', { type: 'f32', value: 1e-6 }],
    ['test.f64', { type: 'f64', value: Math.PI }],
    ['test.bool', { type: 'bool', value: true }],
    ['test.u64', { type: 'u64', value: 2n ** 60n + 3n }],
    ['test.i64', { type: 'i64', value: -(2n ** 62n) }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: ['a', '', 'Ġb', '中'] }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', value: [1, 3, 4, -1] }],
  ];
  const file = path.join(dir, 'ours.gguf');
  writeFileSync(
    file,
    writeGguf(
      metadata,
      [
        { name: 'token_embd.weight', ggmlType: GGML_TYPE_ID.q8_0, shape: [4, 64], data: quantizeQ8_0(x) },
        { name: 'blk.0.attn_q.weight', ggmlType: GGML_TYPE_ID.q4_0, shape: [2, 2, 64], data: quantizeQ4_0(x) },
        { name: 'blk.0.attn_norm.weight', ggmlType: GGML_TYPE_ID.f32, shape: [5], data: bytesOf(x.slice(0, 5)) },
        { name: 'output.weight', ggmlType: GGML_TYPE_ID.f16, shape: [3, 1, 2, 2], data: bytesOf(f32ToF16(x.slice(0, 12))) },
        { name: 'output_norm.weight', ggmlType: GGML_TYPE_ID.bf16, shape: [7], data: bytesOf(f32ToBf16(x.slice(0, 7))) },
      ],
      64,
    ),
  );
  const base = await serve(rangeHandler(dir, '/'));
  const theirs = await hfGguf(`${base}/ours.gguf`);
  const ours = await readGguf(await sourceFromPath(file));

  it('agrees on the header counts and every metadata value', () => {
    expect(theirs.metadata.version).toBe(3);
    expect(Number(theirs.metadata.tensor_count)).toBe(ours.tensors.length);
    expect(Number(theirs.metadata.kv_count)).toBe(ours.metadata.size);
    expect(ours.metadata.size).toBe(metadata.length + 1); // general.alignment added for 64
    const md = theirs.metadata as unknown as Record<string, unknown>;
    for (const [key, value] of ours.metadata) expect(norm(md[key]), key).toEqual(norm(value));
    expect(md['general.alignment']).toBe(64);
    expect(md['test.u64']).toBe(2n ** 60n + 3n);
  });

  it('reads the same header over HTTP ranges as from disk', async () => {
    const remote = await readGguf(await sourceFromUrl(`${base}/ours.gguf`));
    expect([...remote.metadata]).toEqual([...ours.metadata]);
    expect(remote.tensors.map(({ source: _, ...t }) => t)).toEqual(ours.tensors.map(({ source: _, ...t }) => t));
    const t = remote.tensors[0];
    expect(await t.source.read(t.offset, t.byteLength)).toEqual(await ours.tensors[0].source.read(t.offset, t.byteLength));
  });

  it('agrees on every tensor: name, ggml-order dims, type and offset', () => {
    expect(theirs.tensorInfos.map((t) => t.name)).toEqual(ours.tensors.map((t) => t.name));
    expect(Number(theirs.tensorDataOffset)).toBe(ours.dataOffset);
    for (const [i, t] of ours.tensors.entries()) {
      const info = theirs.tensorInfos[i];
      // They report dims as stored (innermost first); we report PyTorch order.
      expect(info.shape.map(Number), t.name).toEqual([...t.shape].reverse());
      expect(info.dtype, t.name).toBe(GGML_TYPE_ID[t.dtype as GgmlDtype]);
      expect(Number(info.offset) + ours.dataOffset, t.name).toBe(t.offset);
      expect(t.offset % 64, t.name).toBe(0);
    }
    expect(ours.tensors[1].shape).toEqual([2, 2, 64]);
    expect(theirs.tensorInfos[3].shape).toEqual([2n, 2n, 1n, 3n]);
  });
});

const hasPython = spawnSync('python3', ['--version']).status === 0;

describe.skipIf(!hasPython)('a file written by Python (struct + json only), read by us', async () => {
  const script = fileURLToPath(new URL('../fixtures/formats/write_independent.py', import.meta.url));
  const out = path.join(dir, 'python');
  execFileSync('python3', [script, out]);
  const expected = JSON.parse(readFileSync(path.join(out, 'expected.json'), 'utf8'));

  /** The JSON form of a metadata value: 64-bit integers travel as {"int": "decimal"}. */
  const fromJson = (v: unknown): GgufValue => {
    if (Array.isArray(v)) return v.map(fromJson);
    if (v && typeof v === 'object') {
      const n = BigInt((v as { int: string }).int);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    }
    return v as GgufValue;
  };
  const decode = async (t: TensorEntry, rows: number) => dequantizeRows(t.dtype as WeightDtype, await t.source.read(t.offset, t.byteLength), rows, t.shape.at(-1)!);

  it('reads every GGUF metadata value exactly, 64-bit integers beyond 2^53 as bigint', async () => {
    const g = await readGguf(await sourceFromPath(path.join(out, 'independent.gguf')));
    expect(g.version).toBe(3);
    expect(g.alignment).toBe(64);
    expect(g.dataOffset).toBe(expected.gguf.data_offset);
    expect([...g.metadata.keys()]).toEqual(Object.keys(expected.gguf.metadata));
    for (const [key, v] of Object.entries(expected.gguf.metadata)) expect(g.metadata.get(key), key).toEqual(fromJson(v));
    expect(g.metadata.get('test.u64_big')).toBe(2n ** 63n + 1n);
    expect(g.metadata.get('test.i64_big')).toBe(-(2n ** 53n) - 3n);
    expect(g.metadata.get('test.u64_small')).toBe(12345);
  });

  it('locates and decodes every GGUF tensor (F32, F16, Q8_0, BF16) to the written values', async () => {
    const g = await readGguf(await sourceFromPath(path.join(out, 'independent.gguf')));
    expect(g.tensors.map((t) => t.name)).toEqual(expected.gguf.tensors.map((t: { name: string }) => t.name));
    for (const [i, want] of (expected.gguf.tensors as { name: string; shape: number[]; offset: number; byte_length: number; values: number[] }[]).entries()) {
      const t = g.tensors[i];
      expect(t.shape, t.name).toEqual(want.shape);
      expect([t.offset, t.byteLength], t.name).toEqual([want.offset, want.byte_length]);
      const rows = want.shape.length > 1 ? want.shape[0] : 1;
      expect([...(await decode(t, rows))], t.name).toEqual(want.values);
    }
    expect(g.tensors.map((t) => t.dtype)).toEqual(['f32', 'f16', 'q8_0', 'bf16']);
  });

  it('rounds to f16 exactly as Python struct does (round half to even)', () => {
    for (const [x, bits] of expected.gguf.f16_bits as [number, number][]) expect(f32ToF16Bits(x), `${x}`).toBe(bits);
  });

  it('reads the safetensors file: metadata, dtypes, shapes, offsets and values', async () => {
    const st = await readSafetensors(await sourceFromPath(path.join(out, 'independent.safetensors')));
    expect(st.metadata).toEqual(expected.safetensors.metadata);
    const want = expected.safetensors.tensors as { name: string; dtype: string; shape: number[]; offset: number; byte_length: number; values: number[] | null }[];
    expect(st.tensors.map((t) => t.name)).toEqual(want.map((t) => t.name));
    for (const [i, w] of want.entries()) {
      const t = st.tensors[i];
      expect([t.shape, t.offset, t.byteLength], w.name).toEqual([w.shape, w.offset, w.byte_length]);
      if (w.values === null) {
        expect(t.dtype, w.name).toEqual({ unsupported: w.dtype });
        continue;
      }
      expect(t.dtype, w.name).toBe(w.dtype.toLowerCase());
      expect([...(await decode(t, w.shape.length > 1 ? w.shape[0] : 1))], w.name).toEqual(w.values);
    }
  });
});
