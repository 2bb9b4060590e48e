/**
 * Shared by the broken-file corpus and the fuzzers: the well-formed GGUF and safetensors files they
 * break, and a byte source that records what the parser asks for and can claim to be enormous (a
 * corrupt multi-gigabyte download, a server lying about its Content-Range), so that counts and
 * lengths read from the file pass every "fits in the file" check and only the parser's own bounds
 * stand between them and a huge allocation.
 */
import { GGML_F16_SCALES } from '../../src/formats/block-scales.ts';
import { GGML_TYPE, GGML_TYPES } from '../../src/formats/ggml-types.ts';
import { writeGguf, type GgufWriteValue } from '../../src/formats/gguf-writer.ts';
import { f32ToBf16, f32ToF16 } from '../../src/formats/numeric.ts';
import { writeSafetensors } from '../../src/formats/safetensors-writer.ts';
import type { ModelFiles } from '../../src/formats/model-files.ts';
import { checkRange, sourceFromBytes, type ByteSource } from '../../src/formats/source.ts';
import { makeTestModel } from '../../scripts/lib/test-model.ts';
import { randomBytes, randomFloats } from './helpers.ts';

export interface RecordingSource extends ByteSource {
  /** Longest single read asked for, and the bytes asked for in all. */
  maxReadBytes: number;
  totalReadBytes: number;
  reads: number;
}

/**
 * `bytes`, claiming to be `size` bytes long: everything past the real bytes reads as zeros. Reads
 * over `refuseAbove` throw a plain Error (not a FormatError), so a test sees an absurd request as a
 * failure instead of the source quietly allocating it.
 */
export function recordingSource(bytes: Uint8Array, name: string, size = bytes.length, refuseAbove = 256 * 2 ** 20): RecordingSource {
  const src: RecordingSource = {
    name,
    size,
    maxReadBytes: 0,
    totalReadBytes: 0,
    reads: 0,
    async read(offset, length) {
      src.maxReadBytes = Math.max(src.maxReadBytes, length);
      src.totalReadBytes += length;
      src.reads++;
      if (length > refuseAbove) throw new Error(`${name}: the parser asked for ${length} bytes at ${offset}`);
      checkRange(src, offset, length);
      if (offset + length <= bytes.length) return bytes.subarray(offset, offset + length);
      const out = new Uint8Array(length);
      if (offset < bytes.length) out.set(bytes.subarray(offset));
      return out;
    },
  };
  return src;
}

/** 1 TiB: room for any count or length a 64-bit field can make plausible. */
export const HUGE = 2 ** 40;

export const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Whole blocks of a quantized type: random bytes with every f16 scale set to a finite value. */
export function quantBlocks(typeName: string, blocks: number, seed: number): Uint8Array {
  const t = GGML_TYPES[GGML_TYPE[typeName]];
  const out = randomBytes(blocks * t.blockBytes, seed);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) for (const f of GGML_F16_SCALES[typeName] ?? []) view.setUint16(b * t.blockBytes + f, 0x2e66, true); // 0.1
  return out;
}

/** A GGUF file with every metadata type and tensors of the computable types. */

export const x = randomFloats(512, 3);
export const GGUF_GOOD = writeGguf(
  [
    ['general.architecture', { type: 'string', value: 'qwen2' }],
    ['test.u8', { type: 'u8', value: 200 }],
    ['test.i8', { type: 'i8', value: -100 }],
    ['test.u16', { type: 'u16', value: 60000 }],
    ['test.i16', { type: 'i16', value: -30000 }],
    ['test.u32', { type: 'u32', value: 4e9 }],
    ['test.i32', { type: 'i32', value: -2e9 }],
    ['test.f32', { type: 'f32', value: 0.5 }],
    ['test.f64', { type: 'f64', value: Math.PI }],
    ['test.bool', { type: 'bool', value: true }],
    ['test.u64', { type: 'u64', value: 2n ** 60n }],
    ['test.i64', { type: 'i64', value: -(2n ** 60n) }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: ['a', 'b', 'ab', 'é', ''] }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', value: [1, 1, 1, 3, 1] }],
    ['tokenizer.ggml.scores', { type: 'array', itemType: 'f32', value: [0, -1, -2, -3, -4] }],
    ['test.flags', { type: 'array', itemType: 'bool', value: [true, false] }],
    ['test.u64s', { type: 'array', itemType: 'u64', value: [1n, 2n ** 63n] }],
  ] satisfies [string, GgufWriteValue][],
  [
    { name: 'tensor.f32', ggmlType: GGML_TYPE.F32, shape: [4, 8], data: bytesOf(x.slice(0, 32)) },
    { name: 'tensor.f16', ggmlType: GGML_TYPE.F16, shape: [2, 16], data: bytesOf(f32ToF16(x.slice(0, 32))) },
    { name: 'tensor.bf16', ggmlType: GGML_TYPE.BF16, shape: [3, 4], data: bytesOf(f32ToBf16(x.slice(0, 12))) },
    { name: 'tensor.q8_0', ggmlType: GGML_TYPE.Q8_0, shape: [4, 64], data: quantBlocks('Q8_0', 8, 1) },
    { name: 'tensor.q4_0', ggmlType: GGML_TYPE.Q4_0, shape: [2, 32], data: quantBlocks('Q4_0', 2, 2) },
    { name: 'tensor.q4_k', ggmlType: GGML_TYPE.Q4_K, shape: [2, 512], data: quantBlocks('Q4_K', 4, 3) },
    { name: 'tensor.q6_k', ggmlType: GGML_TYPE.Q6_K, shape: [2, 256], data: quantBlocks('Q6_K', 2, 4) },
  ],
);

/** A safetensors file with metadata, a matrix, a vector and a scalar. */
export const ST_GOOD = writeSafetensors(
  [
    { name: 'a', dtype: 'F32', shape: [2, 3], data: bytesOf(x.slice(0, 6)) },
    { name: 'b', dtype: 'F16', shape: [5], data: bytesOf(f32ToF16(x.slice(0, 5))) },
    { name: 'c', dtype: 'BF16', shape: [], data: bytesOf(f32ToBf16(x.slice(0, 1))) },
  ],
  { format: 'pt' },
);

// ---- a tiny model folder (config, tokenizer, weights) that loads without a GPU ----

const TINY = { hiddenSize: 16, nLayers: 1, nHeads: 2, nKvHeads: 1, headDim: 8, ffnSize: 32, vocabSize: 64 };
const tinyModel = makeTestModel('qwen2', 5, TINY);
export const TINY_CONFIG = tinyModel.config;

/** A byte-level BPE tokenizer.json with five tokens. */
export const TINY_TOKENIZER = {
  version: '1.0',
  normalizer: null,
  pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
  post_processor: null,
  decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
  model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2, 'Ġ': 3 }, merges: ['a b'] },
  added_tokens: [{ id: 4, content: '<eos>', special: true }],
};

/** model.safetensors of the tiny model, its tensors edited first. */
export function tinyWeights(edit: (m: Map<string, { shape: number[]; values: Float32Array }>) => void = () => {}): Uint8Array {
  const tensors = new Map(tinyModel.tensors);
  edit(tensors);
  return writeSafetensors([...tensors].map(([name, t]) => ({ name, dtype: 'F32', shape: t.shape, data: bytesOf(t.values) })));
}

const TINY_FOLDER: Record<string, string | Uint8Array> = {
  'config.json': JSON.stringify(TINY_CONFIG),
  'tokenizer.json': JSON.stringify(TINY_TOKENIZER),
  'tokenizer_config.json': JSON.stringify({ eos_token: '<eos>' }),
  'model.safetensors': tinyWeights(),
};

/** The tiny model folder "models/tiny" in memory, with files replaced (null: removed). */
export function tinyFolder(replace: Record<string, string | Uint8Array | null> = {}): ModelFiles {
  const files = { ...TINY_FOLDER, ...replace };
  return {
    name: 'models/tiny',
    async open(p) {
      const f = files[p];
      if (f === undefined || f === null) return null;
      return sourceFromBytes(typeof f === 'string' ? new TextEncoder().encode(f) : f, `models/tiny/${p}`);
    },
  };
}
