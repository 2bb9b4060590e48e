/**
 * The broken-file corpus: GGUF and safetensors files and model folders broken each way a download,
 * a disk or an attacker can break them. Every case must end in a named error that says what is
 * wrong, within milliseconds, without asking the byte source for more than a header's worth of
 * bytes. gguf-broken.test.ts and safetensors.test.ts hold single-field cases; this file adds the
 * systematic ones (every truncation point, counts and lengths in a file that claims a terabyte,
 * NaN scales, folders whose files disagree) and prints the corpus size.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { firstNonFiniteScale, GGML_F16_SCALES, GGML_SPREAD_SCALES } from '../../src/formats/block-scales.ts';
import { ByteCursor } from '../../src/formats/byte-cursor.ts';
import { GGML_TYPE, GGML_TYPES } from '../../src/formats/ggml-types.ts';
import { GGUF_MAGIC, GGUF_VALUE, MAX_GGUF_ARRAY_ELEMENTS, readGguf } from '../../src/formats/gguf.ts';
import { readSafetensors } from '../../src/formats/safetensors.ts';
import { sourceFromBytes } from '../../src/formats/source.ts';
import { fromFolder } from '../../src/engine/model-files.ts';
import { checkTensors } from '../../src/model/weights.ts';
import { formatError, indexOfBytes, patched, randomFloats } from './helpers.ts';
import { bytesOf, GGUF_GOOD, HUGE, quantBlocks, recordingSource, ST_GOOD, TINY_CONFIG, TINY_TOKENIZER, tinyFolder, tinyWeights, x } from './hostile.ts';

const corpus = { gguf: 0, safetensors: 0, folders: 0 };
afterAll(() => {
  const total = corpus.gguf + corpus.safetensors + corpus.folders;
  console.log(`broken-file corpus: ${corpus.gguf} GGUF, ${corpus.safetensors} safetensors, ${corpus.folders} model folders (${total} cases)`);
});

/**
 * Broken GGUF files must fail with a FormatError naming the file, without a read above `maxRead`
 * bytes, and in at most `ms`: a bound against pathological work (a walk over a claimed terabyte, a
 * quadratic scan), generous enough that a loaded CI machine never trips it (fuzz.test.ts: CASE_MS).
 */
async function ggufProblem(bytes: Uint8Array, size = bytes.length, maxRead = 1 << 20, ms = 2000): Promise<string> {
  corpus.gguf++;
  const src = recordingSource(bytes, 'hostile.gguf', size);
  const t0 = performance.now();
  const e = await formatError(readGguf(src));
  expect(performance.now() - t0).toBeLessThan(ms);
  expect(src.maxReadBytes).toBeLessThanOrEqual(maxRead);
  expect(e.message.startsWith('hostile.gguf: ')).toBe(true);
  return e.problem;
}

const u64At = (bytes: Uint8Array, at: number) => new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(at, true);
/** Offset of the field right after a metadata key's name (its value type). */
const afterKey = (key: string) => indexOfBytes(GGUF_GOOD, key) + key.length;
/** Offset of the field right after a tensor info's name (its dimension count). */
const afterName = (name: string) => indexOfBytes(GGUF_GOOD, name, indexOfBytes(GGUF_GOOD, 'test.u64s')) + name.length;

describe('GGUF corpus', () => {
  it('the unbroken file reads, every tensor inside the file', async () => {
    const g = await readGguf(sourceFromBytes(GGUF_GOOD, 'good.gguf'));
    expect(g.tensors.map((t) => t.dtype)).toEqual(['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_k', 'q6_k']);
    for (const t of g.tensors) expect((await t.source.read(t.offset, t.byteLength)).length).toBe(t.byteLength);
  });

  it('truncated at every byte of the header and at every tensor boundary: "truncated", never anything else', async () => {
    const g = await readGguf(sourceFromBytes(GGUF_GOOD, 'good.gguf'));
    const cuts = Array.from({ length: g.dataOffset + 1 }, (_, i) => i);
    for (const t of g.tensors) cuts.push(t.offset, t.offset + 1, t.offset + t.byteLength - 1);
    for (const cut of cuts) {
      expect(await ggufProblem(GGUF_GOOD.subarray(0, cut)), `cut at ${cut}`).toMatch(/too short|truncated|past the end/);
    }
    // Only the padding after the last tensor may go missing.
    const last = g.tensors.at(-1)!;
    await expect(readGguf(sourceFromBytes(GGUF_GOOD.subarray(0, last.offset + last.byteLength), 'good.gguf'))).resolves.toBeDefined();
  });

  // In a file that claims a terabyte every count below fits "in the file": only the header bounds stop them.
  const huge = (edit: (v: DataView) => void) => ggufProblem(patched(GGUF_GOOD, edit), HUGE);

  it('tensor, metadata and array counts in the billions, in a file that claims a terabyte', async () => {
    expect(await huge((v) => v.setBigUint64(8, 3_000_000_000n, true))).toMatch(/claims 3000000000 tensors, more than the 64 MiB a header may take/);
    expect(await huge((v) => v.setBigUint64(16, 5_000_000_000n, true))).toMatch(/claims 5000000000 metadata entries/);
    const count = (key: string) => afterKey(key) + 4 + 4;
    expect(await huge((v) => v.setBigUint64(count('tokenizer.ggml.tokens'), 2n ** 33n, true))).toMatch(/claims 8589934592 elements in metadata array "tokenizer.ggml.tokens"/);
    // 2^28 i32 values once made a 1 GiB read and a 268M-element array (the process ran out of memory).
    expect(await huge((v) => v.setBigUint64(count('tokenizer.ggml.token_type'), 2n ** 28n, true))).toMatch(/claims 268435456 elements/);
    expect(await huge((v) => v.setBigUint64(count('test.flags'), 10_000_000n, true))).toMatch(new RegExp(`claims 10000000 elements \\(at most ${MAX_GGUF_ARRAY_ELEMENTS}\\)`));
  });

  it('string lengths past the end, beyond 2^53 and at 2^64 - 1', async () => {
    for (const len of [2n ** 40n, 2n ** 53n + 1n, 2n ** 64n - 1n]) {
      expect(await huge((v) => v.setBigUint64(24, len, true))).toMatch(new RegExp(`string length \\(${len}\\) in a metadata key runs past the 64 MiB`));
      expect(await ggufProblem(patched(GGUF_GOOD, (v) => v.setBigUint64(afterKey('general.architecture') + 4, len, true)))).toMatch(/string length .* in metadata "general.architecture" runs past the end of the file/);
    }
    const nameLen = indexOfBytes(GGUF_GOOD, 'tensor.q8_0') - 8;
    expect(await huge((v) => v.setBigUint64(nameLen, 2n ** 63n, true))).toMatch(/string length \(9223372036854775808\) in a tensor name/);
  });

  it('dimensions beyond 2^53, element counts that overflow, offsets past the end or at 2^64', async () => {
    const dims = afterName('tensor.f32') + 4;
    expect(await huge((v) => v.setBigUint64(dims, 2n ** 53n + 1n, true))).toMatch(/tensor "tensor.f32" has dimension 9007199254740993, beyond 2\^53/);
    expect(await ggufProblem(patched(GGUF_GOOD, (v) => v.setBigUint64(dims, 2n ** 64n - 1n, true)))).toMatch(/beyond 2\^53/);
    // Each dimension is fine, their product is not: 2^60 elements, or 2^40 (16 TiB of f32 in a 1 TiB file).
    const product = (a: bigint, b: bigint) =>
      patched(GGUF_GOOD, (v) => {
        v.setBigUint64(dims, a, true);
        v.setBigUint64(dims + 8, b, true);
      });
    expect(await ggufProblem(product(2n ** 30n, 2n ** 30n), HUGE)).toMatch(/tensor "tensor.f32" has 1073741824 x 1073741824 elements, beyond 2\^53/);
    expect(await ggufProblem(product(2n ** 20n, 2n ** 20n), HUGE)).toMatch(/tensor "tensor.f32" ends at byte \d+ but the file has 1099511627776 bytes/);
    const product3 = patched(GGUF_GOOD, (v) => {
      v.setUint32(dims - 4, 3, true);
      v.setBigUint64(dims, 2n ** 30n, true);
      v.setBigUint64(dims + 8, 2n ** 30n, true);
    });
    // The third dimension now reads the old type and offset fields: whatever they make, it must fail.
    await ggufProblem(product3, HUGE);
    const offset = afterName('tensor.q6_k') + 4 + 16 + 4;
    expect(await ggufProblem(patched(GGUF_GOOD, (v) => v.setBigUint64(offset, 2n ** 64n - 32n, true)))).toMatch(/tensor "tensor.q6_k" ends at byte \d+ but the file has \d+ bytes/);
    expect(await huge((v) => v.setBigUint64(offset, 2n ** 40n, true))).toMatch(/tensor "tensor.q6_k" ends at byte/);
  });

  it('unknown tensor types (removed ids 4 and 5, ids past the table, 2^32 - 1) and metadata types', async () => {
    const type = afterName('tensor.f16') + 4 + 16;
    for (const id of [4, 5, 40, 1000, 0xffffffff]) {
      expect(await ggufProblem(patched(GGUF_GOOD, (v) => v.setUint32(type, id, true)))).toMatch(new RegExp(`tensor "tensor.f16" has unknown ggml type ${id}`));
    }
    for (const id of [13, 0xffffffff]) {
      expect(await ggufProblem(patched(GGUF_GOOD, (v) => v.setUint32(afterKey('test.u8'), id, true)))).toMatch(new RegExp(`metadata "test.u8" has unknown value type ${id}`));
      expect(await ggufProblem(patched(GGUF_GOOD, (v) => v.setUint32(afterKey('test.u64s') + 4, id, true)))).toMatch(new RegExp(`"test.u64s" has unknown element type ${id}`));
    }
  });

  it('arrays of arrays: four levels read, five are refused, a million are refused at once', async () => {
    /** One metadata entry "n": `depth` arrays each holding the next, the innermost an empty u8 array. */
    const nested = (depth: number) => {
      const key = new TextEncoder().encode('n');
      const out = new Uint8Array(24 + 8 + key.length + 4 + depth * 12 + 32);
      const v = new DataView(out.buffer);
      v.setUint32(0, GGUF_MAGIC, true);
      v.setUint32(4, 3, true);
      v.setBigUint64(16, 1n, true);
      v.setBigUint64(24, BigInt(key.length), true);
      out.set(key, 32);
      let at = 32 + key.length;
      v.setUint32(at, GGUF_VALUE.ARRAY, true);
      at += 4;
      for (let d = 0; d < depth; d++, at += 12) {
        v.setUint32(at, d === depth - 1 ? GGUF_VALUE.UINT8 : GGUF_VALUE.ARRAY, true);
        v.setBigUint64(at + 4, d === depth - 1 ? 0n : 1n, true);
      }
      return out;
    };
    expect((await readGguf(sourceFromBytes(nested(4), 'nested.gguf'))).metadata.get('n')).toEqual([[[[]]]]);
    expect(await ggufProblem(nested(5))).toMatch(/metadata "n" nests arrays more than 4 deep/);
    expect(await ggufProblem(nested(1_000_000))).toMatch(/nests arrays more than 4 deep/);
  });

  it('a header longer than 64 MiB in a huge file is refused as corrupt, not read', async () => {
    const c = new ByteCursor(recordingSource(new Uint8Array(64), 'big.gguf', HUGE), 1 << 20, 2 ** 20);
    c.pos = 2 ** 20 - 4;
    await expect(c.u64()).rejects.toThrow(/big.gguf: has a header longer than 1048576 bytes/);
    await expect(c.u32()).resolves.toBe(0);
  });

  it('NaN and infinite scales: the header reads, the tensor refuses its bad block by name', async () => {
    const g = await readGguf(sourceFromBytes(GGUF_GOOD, 'good.gguf'));
    const cases: [string, number][] = [];
    for (const t of g.tensors) {
      const typeName = typeof t.dtype === 'string' ? t.dtype.toUpperCase() : '';
      const scales = GGML_F16_SCALES[typeName];
      if (!scales) continue;
      const blockBytes = GGML_TYPES[GGML_TYPE[typeName]].blockBytes;
      const blocks = t.byteLength / blockBytes;
      for (const [f, bits] of scales.flatMap((f) => [0x7e00, 0x7c00, 0xfc00, 0xffff].map((b) => [f, b]))) {
        const bad = blocks - 1;
        const broken = patched(GGUF_GOOD, (v) => v.setUint16(t.offset + bad * blockBytes + f, bits, true));
        corpus.gguf++;
        const bt = (await readGguf(sourceFromBytes(broken, 'nan.gguf'))).tensors.find((u) => u.name === t.name)!;
        // Rows before the bad block read as they are (the loader reads whole rows).
        if (bad > 0) expect((await bt.source.read(bt.offset, blockBytes)).length).toBe(blockBytes);
        const e = await formatError(bt.source.read(bt.offset, bt.byteLength));
        expect(e.message).toBe(`nan.gguf: tensor "${t.name}" has a NaN or infinite scale in ${typeName} block ${bad} (byte ${t.offset + bad * blockBytes}): the file is corrupt; download it again`);
        cases.push([t.name, bits]);
      }
    }
    expect(new Set(cases.map((c) => c[0]))).toEqual(new Set(['tensor.q8_0', 'tensor.q4_0', 'tensor.q4_k', 'tensor.q6_k']));
  });

  it("IQ1_M's d, spread over its scale words' top nibbles, is checked as one f16", () => {
    const blocks = quantBlocks('IQ1_M', 3, 11);
    const setD = (b: number, bits: number) => {
      const v = new DataView(blocks.buffer, b * 56 + 48, 8);
      for (let w = 0; w < 4; w++) v.setUint16(2 * w, (v.getUint16(2 * w, true) & 0x0fff) | (((bits >> (4 * w)) & 15) << 12), true);
    };
    [0x2e66, 0x7bff, 0xfbff].forEach((bits, b) => setD(b, bits)); // 0.1, ±65504
    expect(firstNonFiniteScale(blocks, 56, GGML_SPREAD_SCALES.IQ1_M)).toBe(-1);
    for (const bits of [0x7c00, 0xfc00, 0x7e00, 0xffff]) {
      setD(2, bits);
      expect(firstNonFiniteScale(blocks, 56, GGML_SPREAD_SCALES.IQ1_M)).toBe(2);
    }
  });

  it('finite extremes are not mistaken for NaN, and the check costs little', () => {
    const blocks = quantBlocks('Q4_K', 4, 9);
    const v = new DataView(blocks.buffer);
    [0x7bff, 0xfbff, 0x0001, 0x8000].forEach((bits, b) => v.setUint16(b * 144, bits, true)); // ±65504, subnormal, -0
    expect(firstNonFiniteScale(blocks, 144, GGML_F16_SCALES.Q4_K)).toBe(-1);
    // A 1.5B model at Q4_K_M is about 1 GiB: time the check on 64 MiB of blocks.
    const big = new Uint8Array(Math.floor((64 * 2 ** 20) / 144) * 144).fill(0x11);
    const t0 = performance.now();
    expect(firstNonFiniteScale(big, 144, GGML_F16_SCALES.Q4_K)).toBe(-1);
    const ms = performance.now() - t0;
    console.log(`scale check: ${(64 / (ms / 1000)).toFixed(0)} MiB/s of Q4_K blocks (${ms.toFixed(1)} ms for 64 MiB)`);
    // A bound against a pathological scan (the figure is printed above), not a speed figure.
    expect(ms).toBeLessThan(5000);
  });
});

// ---- safetensors ----

/** A file whose JSON header is exactly `headerText` (padded to 8 bytes), then `data`. */
function rawSafetensors(headerText: string, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(headerText + ' '.repeat((8 - (headerText.length % 8)) % 8));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

async function stProblem(bytes: Uint8Array, size = bytes.length, maxRead = 100_000_064): Promise<string> {
  corpus.safetensors++;
  const src = recordingSource(bytes, 'hostile.safetensors', size);
  const t0 = performance.now();
  const e = await formatError(readSafetensors(src));
  // As ggufProblem: a bound against pathological work, not a speed figure.
  expect(performance.now() - t0).toBeLessThan(2000);
  expect(src.maxReadBytes).toBeLessThanOrEqual(maxRead);
  expect(e.message.startsWith('hostile.safetensors: ')).toBe(true);
  return e.problem;
}

const ST_HEADER = 8 + Number(u64At(ST_GOOD, 0));
const T = { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] };
const T_DATA = bytesOf(x.slice(0, 6));

describe('safetensors corpus', () => {
  it('truncated at every byte of the header and at every tensor boundary', async () => {
    const st = await readSafetensors(sourceFromBytes(ST_GOOD, 'good.safetensors'));
    const cuts = Array.from({ length: ST_HEADER + 1 }, (_, i) => i);
    for (const t of st.tensors) cuts.push(t.offset, t.offset + 1, t.offset + t.byteLength - 1);
    for (const cut of cuts.filter((c) => c < ST_GOOD.length)) {
      expect(await stProblem(ST_GOOD.subarray(0, cut)), `cut at ${cut}`).toMatch(/too short|runs past the end|ends at data byte/);
    }
  });

  it('a header length in the billions or at 2^64 - 1, even in a file that claims a terabyte', async () => {
    for (const len of [3_000_000_000n, 2n ** 53n + 1n, 2n ** 64n - 1n]) {
      expect(await stProblem(patched(ST_GOOD, (v) => v.setBigUint64(0, len, true)), HUGE, 64)).toMatch(new RegExp(`claims a ${len}-byte header \\(at most 100000000\\)`));
    }
  });

  it('offsets and shapes beyond 2^53, negative, fractional, overflowing or past the end', async () => {
    const cases: [unknown, RegExp][] = [
      [{ ...T, data_offsets: [0, 2 ** 53 + 2] }, /invalid data_offsets/],
      [{ ...T, data_offsets: [-24, 0] }, /invalid data_offsets/],
      [{ ...T, data_offsets: [0.5, 24.5] }, /invalid data_offsets/],
      [{ ...T, data_offsets: [0, '24'] }, /invalid data_offsets/],
      [{ ...T, data_offsets: [0, 24, 48] }, /invalid data_offsets/],
      [{ ...T, data_offsets: [48, 72] }, /ends at data byte 72 but the file holds 24/],
      [{ ...T, shape: [2 ** 53 + 2] }, /invalid shape/],
      [{ ...T, shape: [2 ** 30, 2 ** 30] }, /too large/],
      [{ ...T, shape: [2 ** 26, 2 ** 26, 2 ** 26] }, /too large/],
      [{ ...T, shape: [2, -3] }, /invalid shape/],
      [{ ...T, shape: 6 }, /invalid shape/],
      [{ ...T, shape: null }, /invalid shape/],
      [{ ...T, dtype: 'F12' }, /unknown dtype "F12"/],
      [{ ...T, dtype: '__proto__' }, /unknown dtype "__proto__"/],
      [{ ...T, dtype: 7 }, /unknown dtype 7/],
      [null, /unknown dtype undefined/],
      ['F32', /unknown dtype undefined/],
    ];
    for (const [entry, want] of cases) expect(await stProblem(rawSafetensors(JSON.stringify({ w: entry }), T_DATA)), JSON.stringify(entry)).toMatch(want);
    // Numbers JSON.parse turns into infinity.
    expect(await stProblem(rawSafetensors('{"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 1e400]}}', T_DATA))).toMatch(/invalid data_offsets \[0,null\]/);
  });

  it('a tensor (or the metadata) defined twice in one header, however the key is spelled', async () => {
    const t = JSON.stringify(T);
    expect(await stProblem(rawSafetensors(`{"w": ${t}, "w": ${t}}`, T_DATA))).toMatch(/header defines "w" twice/);
    expect(await stProblem(rawSafetensors(`{"w": ${t}, "\\u0077": {"dtype": "F32", "shape": [6], "data_offsets": [0, 24]}}`, T_DATA))).toMatch(/defines "w" twice/);
    expect(await stProblem(rawSafetensors(`{"__metadata__": {}, "w": ${t}, "__metadata__": {"format": "pt"}}`, T_DATA))).toMatch(/defines "__metadata__" twice/);
    // Keys nested inside entries and strings that look like keys are not top-level keys.
    const ok = `{"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24], "x": {"w": 1}}, "__metadata__": {"k": "\\"w\\": 1, \\"w\\": 2"}}`;
    expect((await readSafetensors(sourceFromBytes(rawSafetensors(ok, T_DATA), 'ok.safetensors'))).tensors).toHaveLength(1);
  });

  it('overlapping tensors, a header that is not an object, and non-JSON', async () => {
    const two = JSON.stringify({ w: T, v: { dtype: 'F32', shape: [3], data_offsets: [12, 24] } });
    expect(await stProblem(rawSafetensors(two, T_DATA))).toMatch(/tensors "w" and "v" overlap/);
    for (const text of ['[]', '"w"', 'null', '42']) expect(await stProblem(rawSafetensors(text, T_DATA))).toMatch(/header is not a JSON object/);
    for (const text of ['', '{', '{"w": }', '\u0000\u0000\u0000\u0000', '{"w": NaN}']) expect(await stProblem(rawSafetensors(text, T_DATA))).toMatch(/header is not valid JSON/);
    expect(await stProblem(rawSafetensors('['.repeat(200_000) + ']'.repeat(200_000), T_DATA))).toMatch(/header is not a JSON object|not valid JSON/);
  });
});

// ---- model folders: files that do not agree, tokenizers that are not tokenizers ----

/** The named error a broken folder fails with (name and message): never a TypeError or RangeError. */
async function folderError(replace: Record<string, string | Uint8Array | null>): Promise<{ name: string; message: string }> {
  corpus.folders++;
  const e = await fromFolder(tinyFolder(replace)).then(
    (b) => {
      checkTensors(b.config, b.tensors);
      return null;
    },
    (err: unknown) => err,
  ).catch((err: unknown) => err);
  if (!(e instanceof Error)) throw new Error('the broken folder loaded');
  expect(['FormatError', 'ModelSourceError', 'TokenizerError', 'UnsupportedTokenizerError', 'UnsupportedModelError', 'ModelLoadError']).toContain(e.name);
  return { name: e.name, message: e.message };
}

describe('model folder corpus', () => {
  it('the unbroken folder loads and passes the tensor check', async () => {
    const b = await fromFolder(tinyFolder());
    expect(() => checkTensors(b.config, b.tensors)).not.toThrow();
    expect(b.tokenizer.encode('ab a', { addSpecialTokens: false })).toEqual([2, 3, 0]);
  });

  it('a missing tensor, a tensor of the wrong shape: named before any GPU work', async () => {
    const missing = await folderError({ 'model.safetensors': tinyWeights((m) => m.delete('model.layers.0.mlp.up_proj.weight')) });
    expect(missing).toEqual({ name: 'ModelLoadError', message: 'the model has no tensor "model.layers.0.mlp.up_proj.weight", which its config requires' });
    const shape = await folderError({
      'model.safetensors': tinyWeights((m) => m.set('model.layers.0.self_attn.k_proj.weight', { shape: [4, 16], values: randomFloats(64, 1) })),
    });
    expect(shape.message).toBe('models/tiny/model.safetensors: tensor "model.layers.0.self_attn.k_proj.weight" has shape [4,16], but the config implies [8,16]');
    const config = await folderError({ 'config.json': JSON.stringify({ ...TINY_CONFIG, hidden_size: 32 }) });
    expect(config.name).toBe('ModelLoadError');
  });

  it('a tokenizer.json or config.json that is not JSON, or JSON but not an object', async () => {
    for (const text of ['{"model": {"vocab": ', 'version https://git-lfs.github.com/spec/v1', '<!DOCTYPE html>', '']) {
      const e = await folderError({ 'tokenizer.json': text });
      expect(e.name).toBe('FormatError');
      expect(e.message).toMatch(/^models\/tiny\/tokenizer\.json: is not valid JSON \(/);
    }
    for (const [text, what] of [['null', 'null'], ['[1, 2]', 'an array'], ['42', '42'], ['"tokenizer"', '"tokenizer"']]) {
      expect(await folderError({ 'tokenizer.json': text })).toEqual({ name: 'FormatError', message: `models/tiny/tokenizer.json: holds ${what} where a JSON object belongs` });
    }
    expect((await folderError({ 'config.json': '{"model_type": "qwen2",' })).message).toMatch(/^models\/tiny\/config\.json: is not valid JSON/);
    expect((await folderError({ 'tokenizer_config.json': 'null' })).message).toMatch(/tokenizer_config\.json: holds null/);
  });

  it('a tokenizer.json of the wrong shape says what is wrong with it', async () => {
    const bad = (edit: (t: Record<string, unknown>) => void) => {
      const t = structuredClone(TINY_TOKENIZER) as unknown as Record<string, unknown>;
      edit(t);
      return folderError({ 'tokenizer.json': JSON.stringify(t) });
    };
    const model = (t: Record<string, unknown>) => t.model as Record<string, unknown>;
    expect(await bad((t) => delete t.model)).toEqual({ name: 'TokenizerError', message: 'tokenizer.json has no model vocabulary' });
    expect((await bad((t) => (model(t).type = 'Unigram'))).name).toBe('UnsupportedTokenizerError');
    expect((await bad((t) => (t.decoder = null))).name).toBe('UnsupportedTokenizerError');
    expect((await bad((t) => (model(t).vocab = { a: 'zero' }))).message).toBe('tokenizer.json gives "a" the id "zero", which is not a token id');
    expect((await bad((t) => (model(t).vocab = { a: -1 }))).message).toMatch(/gives "a" the id -1/);
    expect((await bad((t) => (t.added_tokens = [null]))).message).toBe('tokenizer.json has an added token that is not {id, content}: null');
    expect((await bad((t) => (t.added_tokens = { id: 4 }))).message).toBe('tokenizer.json "added_tokens" is not a list');
    expect((await bad((t) => (model(t).merges = [1, 2]))).name).toBe('TokenizerError');
    expect((await bad((t) => (t.pre_tokenizer = { type: 'Split', pattern: { Regex: '(' }, behavior: 'Isolated' }))).message).toMatch(/Invalid regular expression/);
  });

  it('a tokenizer whose ids the embedding does not have', async () => {
    const t = structuredClone(TINY_TOKENIZER);
    t.added_tokens = [{ id: 5000, content: '<eos>', special: true }];
    const e = await folderError({ 'tokenizer.json': JSON.stringify(t) });
    expect(e).toEqual({ name: 'FormatError', message: 'models/tiny/tokenizer.json: has token ids up to 5000, but the model has 64 embedding rows (vocab_size): is it the tokenizer of another model?' });
  });

  it('a sharded folder whose index is not an object or names no shards', async () => {
    expect((await folderError({ 'model.safetensors': null, 'model.safetensors.index.json': '[]' })).message).toMatch(/index\.json: holds an array where a JSON object belongs/);
    expect((await folderError({ 'model.safetensors': null, 'model.safetensors.index.json': '{"weight_map": "model.safetensors"}' })).message).toMatch(/has no "weight_map" object/);
    expect((await folderError({ 'model.safetensors': null })).name).toBe('FormatError');
  });
});
