import { describe, expect, it } from 'vitest';
import { GGML_TYPE_ID } from '../../src/formats/ggml-types.ts';
import { readGguf } from '../../src/formats/gguf.ts';
import { writeGguf } from '../../src/formats/gguf-writer.ts';
import { quantizeQ8_0 } from '../../src/formats/numeric.ts';
import { sourceFromBytes } from '../../src/formats/source.ts';
import { formatError, indexOfBytes, patched, randomFloats } from './helpers.ts';

/**
 * Every broken GGUF must fail with a FormatError whose message names the file and the problem,
 * before anything large is allocated or a tensor is read out of bounds.
 */
const NAME = 'broken.gguf';
const x = randomFloats(64, 2);
const GOOD = writeGguf(
  [
    ['general.architecture', { type: 'string', value: 'qwen2' }],
    ['qwen2.block_count', { type: 'u32', value: 2 }],
    ['test.flag', { type: 'bool', value: true }],
    ['test.aaa', { type: 'u32', value: 1 }],
    ['test.bbb', { type: 'u32', value: 2 }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: ['a', 'b', 'c'] }],
  ],
  [
    { name: 't0', ggmlType: GGML_TYPE_ID.f32, shape: [4, 8], data: new Uint8Array(x.buffer, 0, 128) },
    { name: 't1', ggmlType: GGML_TYPE_ID.q8_0, shape: [2, 32], data: quantizeQ8_0(x) },
  ],
);
// Landmarks: the metadata starts after the 24-byte header; the tensor infos at t0's name length.
const T0 = indexOfBytes(GOOD, 't0') - 8;
const T1 = indexOfBytes(GOOD, 't1', T0) - 8;
const NAME_END = (info: number) => info + 8 + 2; // both names are 2 bytes

async function problem(bytes: Uint8Array): Promise<string> {
  const e = await formatError(readGguf(sourceFromBytes(bytes, NAME)));
  expect(e.file).toBe(NAME);
  expect(e.message.startsWith(`${NAME}: `)).toBe(true);
  return e.problem;
}

describe('readGguf on broken files', () => {
  it('reads the unbroken file (the baseline the cases below break)', async () => {
    const g = await readGguf(sourceFromBytes(GOOD, NAME));
    expect(g.tensors.map((t) => t.name)).toEqual(['t0', 't1']);
    expect(GOOD.length).toBeGreaterThan(g.tensors[1].offset);
  });

  it('names truncation wherever the file ends', async () => {
    const { dataOffset: data, tensors } = await readGguf(sourceFromBytes(GOOD, NAME));
    const lastDataByte = tensors[1].offset + tensors[1].byteLength - 1;
    const cuts: [string, number][] = [
      ['inside the magic', 2],
      ['inside the counts', 20],
      ['inside a metadata key', 24 + 10],
      ['inside the string array', indexOfBytes(GOOD, 'b', T0 - 20)],
      ['inside the tensor infos', T0 + 12],
      ['inside the second tensor info', T1 + 20],
      ['inside the tensor data', data + 100],
      ['before the last data byte', lastDataByte],
    ];
    for (const [where, size] of cuts) {
      const p = await problem(GOOD.subarray(0, size));
      expect(p, where).toMatch(/too short|truncated/);
    }
    // Only the padding after the last tensor may go missing.
    await expect(readGguf(sourceFromBytes(GOOD.subarray(0, lastDataByte + 1), NAME))).resolves.toBeDefined();
  });

  it('names a bad magic', async () => {
    expect(await problem(patched(GOOD, (_, b) => b.set([0x47, 0x47, 0x55, 0x58])))).toMatch(/bad magic 0x58554747.*expected "GGUF"/);
  });

  it('names GGUF versions 1 and 99', async () => {
    expect(await problem(patched(GOOD, (v) => v.setUint32(4, 1, true)))).toMatch(/version 1\b.*obsolete/);
    expect(await problem(patched(GOOD, (v) => v.setUint32(4, 99, true)))).toMatch(/version 99\b/);
  });

  it('names a big-endian file', async () => {
    expect(await problem(patched(GOOD, (v) => v.setUint32(4, 3, false)))).toMatch(/big-endian/);
  });

  it('says what a wrong file most likely is', async () => {
    const lfs = new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 1234\n');
    expect(await problem(lfs)).toMatch(/Git LFS pointer/);
    const html = new TextEncoder().encode('<!DOCTYPE html><html><head><title>model.gguf</title></head></html>');
    expect(await problem(html)).toMatch(/HTML page/);
  });

  it('refuses a tensor or metadata count the file could not hold', async () => {
    expect(await problem(patched(GOOD, (v) => v.setBigUint64(8, 2n ** 40n, true)))).toMatch(/claims 1099511627776 tensors/);
    expect(await problem(patched(GOOD, (v) => v.setBigUint64(16, 2n ** 62n, true)))).toMatch(/claims 4611686018427387904 metadata entries/);
  });

  it('refuses a string length past the end of the file', async () => {
    expect(await problem(patched(GOOD, (v) => v.setBigUint64(24, 2n ** 50n, true)))).toMatch(/string length \(1125899906842624\).*past the end/);
    expect(await problem(patched(GOOD, (v) => v.setBigUint64(T0, BigInt(GOOD.length), true)))).toMatch(/string length .* tensor name .*past the end/);
  });

  it('refuses more than 4 dimensions', async () => {
    expect(await problem(patched(GOOD, (v) => v.setUint32(NAME_END(T0), 5, true)))).toMatch(/tensor "t0" has 5 dimensions \(at most 4\)/);
  });

  it('names an unknown ggml type', async () => {
    // t0: n_dims (4) and two dims (16) after the name, then the type.
    expect(await problem(patched(GOOD, (v) => v.setUint32(NAME_END(T0) + 20, 99, true)))).toMatch(/tensor "t0" has unknown ggml type 99/);
  });

  it('refuses rows that are not whole quant blocks, 0-dim tensors included', async () => {
    // t1 is Q8_0 [2, 32]: its inner dim (stored first) becomes 16.
    expect(await problem(patched(GOOD, (v) => v.setBigUint64(NAME_END(T1) + 4, 16n, true)))).toMatch(/tensor "t1" rows of 16 are not whole Q8_0 blocks of 32/);
    // An f32 scalar relabelled Q8_0 would be 34/32 bytes long.
    const scalar = writeGguf([], [{ name: 's', ggmlType: GGML_TYPE_ID.f32, shape: [], data: new Uint8Array(4) }]);
    const typeAt = indexOfBytes(scalar, 's') + 1 + 4;
    expect(await problem(patched(scalar, (v) => v.setUint32(typeAt, GGML_TYPE_ID.q8_0, true)))).toMatch(/tensor "s" rows of 1 are not whole Q8_0 blocks/);
  });

  it('reads GGUF version 2 (the same layout as 3)', async () => {
    const g = await readGguf(sourceFromBytes(patched(GOOD, (v) => v.setUint32(4, 2, true)), NAME));
    expect(g.version).toBe(2);
    expect(g.tensors).toHaveLength(2);
  });

  it('names an unknown metadata value type, and an unknown array element type', async () => {
    const keyEnd = 24 + 8 + 'general.architecture'.length;
    expect(await problem(patched(GOOD, (v) => v.setUint32(keyEnd, 13, true)))).toMatch(/metadata "general.architecture" has unknown value type 13/);
    const arrayKeyEnd = indexOfBytes(GOOD, 'tokenizer.ggml.tokens') + 'tokenizer.ggml.tokens'.length;
    expect(await problem(patched(GOOD, (v) => v.setUint32(arrayKeyEnd + 4, 42, true)))).toMatch(/"tokenizer.ggml.tokens".*unknown (element|value) type 42/);
  });

  it('refuses a boolean byte other than 0 or 1', async () => {
    const at = indexOfBytes(GOOD, 'test.flag') + 'test.flag'.length + 4;
    expect(GOOD[at]).toBe(1);
    expect(await problem(patched(GOOD, (_, b) => (b[at] = 2)))).toMatch(/"test.flag" has boolean byte 2/);
  });

  it('refuses a duplicate tensor and a duplicate metadata key', async () => {
    // Rename t1 to t0 (same length, so the layout stays valid).
    expect(await problem(patched(GOOD, (_, b) => (b[T1 + 9] = 0x30)))).toMatch(/tensor "t0" twice/);
    expect(await problem(patched(GOOD, (_, b) => b.set([0x61, 0x61, 0x61], indexOfBytes(GOOD, 'test.bbb') + 5)))).toMatch(/metadata key "test.aaa" twice/);
  });

  it('refuses a misaligned tensor offset and one past the end', async () => {
    const offsetAt = NAME_END(T1) + 4 + 16 + 4; // n_dims, 2 dims, type
    const v0 = new DataView(GOOD.buffer, GOOD.byteOffset).getBigUint64(offsetAt, true);
    expect(v0).toBe(128n); // t0 is 128 bytes: t1 starts at the next multiple of 32
    expect(await problem(patched(GOOD, (v) => v.setBigUint64(offsetAt, v0 + 4n, true)))).toMatch(/tensor "t1" data offset 132 is not aligned to 32/);
    expect(await problem(patched(GOOD, (v) => v.setBigUint64(offsetAt, 2n ** 40n, true)))).toMatch(/tensor "t1" ends at byte \d+ but the file has \d+ bytes/);
  });

  it('refuses a general.alignment that is not a positive multiple of 8', async () => {
    const bytes = writeGguf([], [], 64);
    const at = indexOfBytes(bytes, 'general.alignment') + 'general.alignment'.length + 4;
    expect(await problem(patched(bytes, (v) => v.setUint32(at, 12, true)))).toMatch(/general.alignment 12 is not a positive multiple of 8/);
    expect(await problem(patched(bytes, (v) => v.setUint32(at, 0, true)))).toMatch(/general.alignment 0/);
  });
});
