import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelFiles } from '../../src/formats/model-files.ts';
import { f32ToBf16, f32ToF16 } from '../../src/formats/numeric.ts';
import { readSafetensors, readShardedSafetensors } from '../../src/formats/safetensors.ts';
import { writeSafetensors } from '../../src/formats/safetensors-writer.ts';
import { filesFromDirectory } from '../../src/formats/source-node.ts';
import { sourceFromBytes } from '../../src/formats/source.ts';
import { formatError, patched, randomBytes, randomFloats, tempDir } from './helpers.ts';

/** safetensors: round trip through the writer, broken headers, and sharded folders. */
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const NAME = 'model.safetensors';
const x = randomFloats(24, 9);

/** A file whose JSON header is exactly `header` (padded with spaces to 8 bytes), then `data`. */
function rawFile(header: unknown, data: Uint8Array, headerText = JSON.stringify(header)): Uint8Array {
  const json = new TextEncoder().encode(headerText + ' '.repeat((8 - (headerText.length % 8)) % 8));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

async function problem(bytes: Uint8Array): Promise<string> {
  const e = await formatError(readSafetensors(sourceFromBytes(bytes, NAME)));
  expect(e.file).toBe(NAME);
  expect(e.message.startsWith(`${NAME}: `)).toBe(true);
  return e.problem;
}

describe('writeSafetensors -> readSafetensors', () => {
  it('keeps names, dtypes, shapes, metadata and bytes, with the data 8-byte aligned', async () => {
    const tensors = [
      { name: 'model.norm.weight', dtype: 'F32', shape: [6], data: bytesOf(x.slice(0, 6)) },
      { name: 'model.embed_tokens.weight', dtype: 'F16', shape: [3, 4], data: bytesOf(f32ToF16(x.slice(0, 12))) },
      { name: 'lm_head.weight', dtype: 'BF16', shape: [2, 3], data: bytesOf(f32ToBf16(x.slice(0, 6))) },
      { name: 'scalar', dtype: 'F32', shape: [], data: bytesOf(x.slice(0, 1)) },
      { name: 'ids', dtype: 'I64', shape: [3], data: randomBytes(24, 1) },
      { name: 'fp8', dtype: 'F8_E4M3', shape: [5], data: randomBytes(5, 2) },
    ];
    const bytes = writeSafetensors(tensors, { format: 'pt', 'ü': 'ß' });
    const st = await readSafetensors(sourceFromBytes(bytes, NAME));
    expect(st.metadata).toEqual({ format: 'pt', 'ü': 'ß' });
    expect(st.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([
      ['model.norm.weight', 'f32', [6]],
      ['model.embed_tokens.weight', 'f16', [3, 4]],
      ['lm_head.weight', 'bf16', [2, 3]],
      ['scalar', 'f32', []],
      ['ids', { unsupported: 'I64' }, [3]],
      ['fp8', { unsupported: 'F8_E4M3' }, [5]],
    ]);
    const dataStart = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(dataStart % 8).toBe(0);
    expect(st.tensors[0].offset).toBe(dataStart);
    for (const [i, t] of st.tensors.entries()) expect(await t.source.read(t.offset, t.byteLength), t.name).toEqual(tensors[i].data);
  });

  it('reads a file with no metadata and no tensors', async () => {
    expect(await readSafetensors(sourceFromBytes(writeSafetensors([]), NAME))).toEqual({ tensors: [], metadata: {} });
  });
});

describe('readSafetensors on broken files', () => {
  const tensor = { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] };
  const data = bytesOf(x.slice(0, 6));

  it('accepts the unbroken file the cases below break', async () => {
    expect((await readSafetensors(sourceFromBytes(rawFile({ w: tensor }, data), NAME))).tensors).toHaveLength(1);
  });

  it('refuses a file too short for the length prefix', async () => {
    expect(await problem(new Uint8Array(5))).toMatch(/5 bytes long: too short/);
  });

  it('refuses a header length past the end of the file', async () => {
    expect(await problem(patched(rawFile({ w: tensor }, data), (v) => v.setBigUint64(0, 5000n, true)))).toMatch(/header of 5000 bytes runs past the end of the \d+-byte file/);
    expect(await problem(patched(rawFile({ w: tensor }, data), (v) => v.setBigUint64(0, 2n ** 62n, true)))).toMatch(/claims a 4611686018427387904-byte header/);
  });

  it('says so when it is handed a GGUF file', async () => {
    const gguf = patched(new Uint8Array(64), (v) => {
      v.setUint32(0, 0x46554747, true);
      v.setUint32(4, 3, true);
    });
    expect(await problem(gguf)).toMatch(/not a safetensors file: it is a GGUF file/);
  });

  it('refuses a header that is not JSON, or not an object', async () => {
    expect(await problem(rawFile(null, data, '{"w": {"dtype": "F32",'))).toMatch(/header is not valid JSON/);
    expect(await problem(rawFile(null, data, '[1, 2]'))).toMatch(/header is not a JSON object/);
  });

  it('names an unknown dtype, including names that live on Object.prototype', async () => {
    expect(await problem(rawFile({ w: { ...tensor, dtype: 'F12' } }, data))).toMatch(/tensor "w" has unknown dtype "F12"/);
    expect(await problem(rawFile({ w: { ...tensor, dtype: 'constructor' } }, data))).toMatch(/tensor "w" has unknown dtype "constructor"/);
    expect(await problem(rawFile({ w: { ...tensor, dtype: 'toString' } }, data))).toMatch(/unknown dtype "toString"/);
  });

  it('refuses data_offsets that do not match shape x item size', async () => {
    expect(await problem(rawFile({ w: { ...tensor, data_offsets: [0, 20] } }, data))).toMatch(/tensor "w" of shape \[2,3\] F32 needs 24 bytes but data_offsets span 20/);
    expect(await problem(rawFile({ w: { ...tensor, data_offsets: [24, 0] } }, data))).toMatch(/tensor "w"/);
    expect(await problem(rawFile({ w: { ...tensor, data_offsets: [0] } }, data))).toMatch(/tensor "w" has invalid data_offsets \[0\]/);
    expect(await problem(rawFile({ w: { ...tensor, shape: [2, -3] } }, data))).toMatch(/tensor "w" has an invalid shape \[2,-3\]/);
  });

  it('refuses offsets past the end of the data (a truncated download)', async () => {
    expect(await problem(rawFile({ w: { ...tensor, data_offsets: [8, 32] } }, data))).toMatch(/tensor "w" ends at data byte 32 but the file holds 24/);
    const whole = rawFile({ w: tensor }, data);
    expect(await problem(whole.subarray(0, whole.length - 1))).toMatch(/ends at data byte 24 but the file holds 23/);
  });
});

/** In-memory model folder. */
function folder(files: Record<string, Uint8Array | string>): ModelFiles {
  return {
    name: 'models/r1',
    async open(p) {
      const f = files[p];
      if (f === undefined) return null;
      return sourceFromBytes(typeof f === 'string' ? new TextEncoder().encode(f) : f, `models/r1/${p}`);
    },
  };
}

describe('readShardedSafetensors', () => {
  const shard = (names: string[], seed: number) => writeSafetensors(names.map((name, i) => ({ name, dtype: 'F32', shape: [2], data: bytesOf(randomFloats(2, seed + i)) })));
  const index = (map: Record<string, string>) => JSON.stringify({ metadata: { total_size: 24 }, weight_map: map });
  const MAP = { a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' };

  it('reads every shard the index lists', async () => {
    const files = folder({ 'model.safetensors.index.json': index(MAP), [MAP.a]: shard(['a', 'b'], 1), [MAP.c]: shard(['c'], 5) });
    const { tensors } = await readShardedSafetensors(files);
    expect(tensors.map((t) => [t.name, t.source.name]).sort()).toEqual([
      ['a', `models/r1/${MAP.a}`],
      ['b', `models/r1/${MAP.a}`],
      ['c', `models/r1/${MAP.c}`],
    ]);
  });

  it('names a shard the index lists but the folder lacks', async () => {
    const e = await formatError(readShardedSafetensors(folder({ 'model.safetensors.index.json': index(MAP), [MAP.a]: shard(['a', 'b'], 1) })));
    expect(e.file).toBe('models/r1');
    expect(e.problem).toMatch(/missing shard model-00002-of-00002\.safetensors, which model\.safetensors\.index\.json lists/);
  });

  it('names a tensor the index places in a shard that lacks it', async () => {
    const e = await formatError(readShardedSafetensors(folder({ 'model.safetensors.index.json': index(MAP), [MAP.a]: shard(['a'], 1), [MAP.c]: shard(['c'], 5) })));
    expect(e.problem).toMatch(/lists tensor "b" in model-00001-of-00002\.safetensors, but that shard lacks it/);
  });

  it('names a tensor found in two shards', async () => {
    const e = await formatError(readShardedSafetensors(folder({ 'model.safetensors.index.json': index(MAP), [MAP.a]: shard(['a', 'b'], 1), [MAP.c]: shard(['c', 'a'], 5) })));
    expect(e.problem).toMatch(/tensor "a" in two shards/);
  });

  it('refuses an index that is not JSON or has no weight_map', async () => {
    expect((await formatError(readShardedSafetensors(folder({ 'model.safetensors.index.json': '{"weight_map": ' })))).message).toMatch(/model\.safetensors\.index\.json: is not valid JSON/);
    expect((await formatError(readShardedSafetensors(folder({ 'model.safetensors.index.json': '{"metadata": {}}' })))).message).toMatch(/index\.json: has no "weight_map"/);
  });

  it('falls back to model.safetensors, and says when neither file is there', async () => {
    expect((await readShardedSafetensors(folder({ 'model.safetensors': shard(['z'], 3) }))).tensors.map((t) => t.name)).toEqual(['z']);
    expect((await formatError(readShardedSafetensors(folder({})))).problem).toMatch(/neither model\.safetensors nor model\.safetensors\.index\.json/);
  });

  it('reads a sharded folder on disk', async () => {
    const dir = path.join(await tempDir(), 'r1');
    await mkdir(dir);
    await writeFile(path.join(dir, 'model.safetensors.index.json'), index(MAP));
    await writeFile(path.join(dir, MAP.a), shard(['a', 'b'], 1));
    await writeFile(path.join(dir, MAP.c), shard(['c'], 5));
    const { tensors } = await readShardedSafetensors(filesFromDirectory(dir));
    const c = tensors.find((t) => t.name === 'c')!;
    expect(new Float32Array((await c.source.read(c.offset, c.byteLength)).slice().buffer)).toEqual(randomFloats(2, 5));
  });
});
