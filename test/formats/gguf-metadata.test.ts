import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/formats/errors.ts';
import { readGguf } from '../../src/formats/gguf.ts';
import {
  ggufArray,
  ggufBool,
  ggufInteger,
  ggufNumber,
  ggufNumberArray,
  ggufString,
  ggufStringArray,
} from '../../src/formats/gguf-metadata.ts';
import { writeGguf } from '../../src/formats/gguf-writer.ts';
import { sourceFromBytes } from '../../src/formats/source.ts';

/** Typed metadata getters: values as written, and errors that name the file, the key and what is wrong. */
const file = writeGguf({
  metadata: [
    ['general.architecture', { type: 'string', value: 'qwen2' }],
    ['qwen2.block_count', { type: 'u32', value: 28 }],
    ['qwen2.rope.freq_base', { type: 'f32', value: 10000 }],
    ['qwen2.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-6 }],
    ['general.size', { type: 'u64', value: 2n ** 60n }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: ['a', 'b'] }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', value: [1, 3] }],
    ['test.big', { type: 'array', itemType: 'u64', value: [1n, 2n ** 63n] }],
  ],
  tensors: [],
});
const { metadata: md } = await readGguf(sourceFromBytes(file, 'model.gguf'));

function problem(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).file).toBe('model.gguf');
    return (e as FormatError).problem;
  }
  throw new Error('expected a FormatError');
}

describe('GGUF metadata getters', () => {
  it('return values of the asked type', () => {
    expect(ggufString(md, 'general.architecture')).toBe('qwen2');
    expect(ggufInteger(md, 'qwen2.block_count')).toBe(28);
    expect(ggufNumber(md, 'qwen2.rope.freq_base')).toBe(10000);
    expect(ggufNumber(md, 'qwen2.attention.layer_norm_rms_epsilon')).toBe(Math.fround(1e-6));
    expect(ggufBool(md, 'tokenizer.ggml.add_bos_token')).toBe(true);
    expect(ggufStringArray(md, 'tokenizer.ggml.tokens')).toEqual(['a', 'b']);
    expect(ggufNumberArray(md, 'tokenizer.ggml.token_type')).toEqual([1, 3]);
    expect(ggufArray(md, 'test.big')).toEqual([1, 2n ** 63n]);
  });

  it('return the fallback only for a missing key', () => {
    expect(ggufNumber(md, 'qwen2.rope.scaling.factor', null)).toBeNull();
    expect(ggufString(md, 'tokenizer.chat_template', undefined)).toBeUndefined();
    expect(ggufInteger(md, 'qwen2.block_count', 0)).toBe(28);
    expect(() => ggufBool(md, 'general.architecture', false)).toThrow(FormatError);
  });

  it('name the key and what it holds when it is missing or of another type', () => {
    expect(problem(() => ggufString(md, 'general.name'))).toBe('metadata "general.name" should be a string but is missing');
    expect(problem(() => ggufInteger(md, 'general.architecture'))).toBe('metadata "general.architecture" should be an integer but is a string ("qwen2")');
    expect(problem(() => ggufInteger(md, 'qwen2.attention.layer_norm_rms_epsilon'))).toMatch(/should be an integer but is a number \(9\.99/);
    expect(problem(() => ggufNumber(md, 'general.size'))).toBe('metadata "general.size" should be a number but is a 64-bit integer (1152921504606846976)');
    expect(problem(() => ggufStringArray(md, 'tokenizer.ggml.token_type'))).toBe('metadata "tokenizer.ggml.token_type" should be an array of strings but is an array of 2');
    expect(problem(() => ggufNumberArray(md, 'test.big'))).toMatch(/should be an array of numbers/);
    expect(problem(() => ggufArray(md, 'qwen2.block_count'))).toBe('metadata "qwen2.block_count" should be an array but is a number (28)');
  });

  it('work on a plain Map, naming the metadata instead of a file', () => {
    const e = (() => {
      try {
        ggufString(new Map(), 'general.architecture');
      } catch (err) {
        return err as FormatError;
      }
    })();
    expect(e?.message).toBe('GGUF metadata: metadata "general.architecture" should be a string but is missing');
  });
});
