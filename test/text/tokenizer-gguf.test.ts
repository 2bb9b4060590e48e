import { describe, expect, it } from 'vitest';
import { benchGgufTokenizerMetadata, BOS_ID, EOS_ID, r1GgufTokenizerMetadata, r1TokenizerConfig, r1TokenizerJson, SMALL_VOCAB, SMALL_VOCAB_ID, smallGgufTokenizerMetadata, smallTokenizerJson, toSmallVocab } from '../../scripts/lib/r1-tokenizer.ts';
import { readGguf } from '../../src/formats/gguf.ts';
import { writeGguf } from '../../src/formats/gguf-writer.ts';
import { sourceFromBytes } from '../../src/formats/source.ts';
import { tokenizerFromGguf, tokenizerFromHf, TokenizerError, UnsupportedTokenizerError } from '../../src/text/tokenizer.ts';
import { tokenCases } from './token-cases.ts';

/**
 * The tokenizer rebuilt from GGUF metadata (tokens, token types, merges) must be the tokenizer of
 * tokenizer.json: same ids for every text, same bytes for every token. The metadata goes through a
 * real GGUF file so the reader's value types (i32 arrays, bools) are what the builder sees.
 */
const VOCAB = 151936; // R1-Distill-Qwen-1.5B's embedding rows: ids past 151664 are padding.
const md = (await readGguf(sourceFromBytes(writeGguf(r1GgufTokenizerMetadata(VOCAB), []), 'r1.gguf'))).metadata;
const gguf = tokenizerFromGguf(md);
const hf = tokenizerFromHf(r1TokenizerJson(), r1TokenizerConfig());

const PROMPT = '<\uff5cbegin\u2581of\u2581sentence\uff5c>sys<\uff5cUser\uff5c>你好 👋<\uff5cAssistant\uff5c><think>\nhm</think>\n\nok<\uff5cend\u2581of\u2581sentence\uff5c>';

describe('tokenizerFromGguf (R1-Distill-Qwen metadata)', () => {
  it('encodes the reference table exactly', () => {
    for (const { text, ids } of tokenCases) expect(gguf.encode(text, { addSpecialTokens: false }), text).toEqual(ids);
  });

  it('agrees with the tokenizer.json build on prompts, BOS and decoding', () => {
    for (const text of [PROMPT, ...tokenCases.map((c) => c.text)]) {
      const ids = hf.encode(text);
      expect(gguf.encode(text), text).toEqual(ids);
      expect(gguf.encode(text, { addSpecialTokens: false }), text).toEqual(hf.encode(text, { addSpecialTokens: false }));
      expect(gguf.decode(ids), text).toBe(hf.decode(ids));
    }
    expect(gguf.encode('x')[0]).toBe(BOS_ID);
    expect(gguf.addBos).toBe(true);
    expect(gguf.bosId).toBe(BOS_ID);
    expect(gguf.eosIds).toEqual([EOS_ID]);
  });

  it('skips the control tokens llama.cpp marks, which include <｜User｜> (not special in tokenizer.json)', () => {
    const ids = hf.encode(PROMPT);
    expect(hf.decode(ids, { skipSpecialTokens: true })).toBe('sys<\uff5cUser\uff5c>你好 👋<\uff5cAssistant\uff5c><think>\nhm</think>\n\nok');
    expect(gguf.decode(ids, { skipSpecialTokens: true })).toBe('sys你好 👋<think>\nhm</think>\n\nok');
  });

  it('gives every token the same bytes, and padding ids none', () => {
    for (let id = 0; id < hf.vocabSize; id++) {
      const a = gguf.tokenBytes(id);
      const b = hf.tokenBytes(id);
      if (a.length !== b.length || a.some((x, i) => x !== b[i])) expect.fail(`token ${id}: ${a} vs ${b}`);
    }
    expect(gguf.tokenBytes(151665)).toEqual(new Uint8Array(0));
    expect(gguf.vocabSize).toBe(VOCAB);
    expect(gguf.idOf('[PAD151700]')).toBeUndefined();
  });
});

describe('the small vocabulary of fast test models (1024 ids)', () => {
  it("is one tokenizer in GGUF metadata and in tokenizer.json, with R1's added tokens at the end", async () => {
    const smallMd = (await readGguf(sourceFromBytes(writeGguf(smallGgufTokenizerMetadata(), []), 'small.gguf'))).metadata;
    const fromGguf = tokenizerFromGguf(smallMd);
    const fromJson = tokenizerFromHf(smallTokenizerJson(), r1TokenizerConfig());
    const ids = fromJson.encode(PROMPT);
    expect(fromGguf.encode(PROMPT)).toEqual(ids);
    expect(fromGguf.decode(ids)).toBe(fromJson.decode(ids));
    expect(Math.max(...ids)).toBeLessThan(SMALL_VOCAB);
    expect(ids[0]).toBe(SMALL_VOCAB_ID.get(BOS_ID));
    expect(ids.at(-1)).toBe(SMALL_VOCAB_ID.get(EOS_ID));
    expect(fromGguf.vocabSize).toBe(SMALL_VOCAB);
    expect(fromGguf.eosIds).toEqual([SMALL_VOCAB_ID.get(EOS_ID)]);
  });

  it('takes R1 prompts with special tokens moved and text ids folded in', () => {
    expect(toSmallVocab([BOS_ID, 9707, 11, EOS_ID])).toEqual([SMALL_VOCAB_ID.get(BOS_ID), 9707 % 1002, 11, SMALL_VOCAB_ID.get(EOS_ID)]);
  });
});

/** A tiny GGUF vocabulary: each case below needs only these tokens. */
function tinyMetadata(pre: string, extra: [string, unknown][] = []): Map<string, unknown> {
  const tokens = ['a', 'b', 'c', 'ab', 'abc', '1', '2', '3', '4', '5', '12', '123', '45', '<s>', '[PAD]', '__proto__', '<x>', '</s>', '[PAD18]'];
  // [PAD18] is typed user-defined, as older llama.cpp converters wrote padding.
  const types = tokens.map((t) => (t === '<s>' || t === '</s>' ? 3 : t === '[PAD]' ? 5 : t === '<x>' || t === '[PAD18]' ? 4 : 1));
  return new Map<string, unknown>([
    ['tokenizer.ggml.model', 'gpt2'],
    ['tokenizer.ggml.pre', pre],
    ['tokenizer.ggml.tokens', tokens],
    ['tokenizer.ggml.token_type', types],
    ['tokenizer.ggml.merges', ['a b', '1 2', '12 3', '4 5']],
    ['tokenizer.ggml.bos_token_id', 13],
    ...extra,
  ]);
}

describe('tokenizerFromGguf (pre-tokenizers and token types)', () => {
  it('names an unknown pre-tokenizer', () => {
    expect(() => tokenizerFromGguf(tinyMetadata('tekken'))).toThrow(UnsupportedTokenizerError);
    expect(() => tokenizerFromGguf(tinyMetadata('tekken'))).toThrow(TokenizerError);
    expect(() => tokenizerFromGguf(tinyMetadata('tekken'))).toThrow(/pre-tokenizer "tekken" is not supported/);
    // A name that happens to be an Object.prototype member is just as unknown.
    expect(() => tokenizerFromGguf(tinyMetadata('constructor'))).toThrow(/pre-tokenizer "constructor"/);
  });

  it('refuses a tokenizer model other than byte-level BPE', () => {
    const m = tinyMetadata('qwen2');
    m.set('tokenizer.ggml.model', 'llama');
    expect(() => tokenizerFromGguf(m)).toThrow(UnsupportedTokenizerError);
    expect(() => tokenizerFromGguf(m)).toThrow(/tokenizer model "llama" is not supported/);
  });

  it('splits digits one by one for qwen2 and in threes for llama-bpe', () => {
    expect(tokenizerFromGguf(tinyMetadata('qwen2')).encode('12345')).toEqual([5, 6, 7, 8, 9]);
    expect(tokenizerFromGguf(tinyMetadata('llama-bpe')).encode('12345', { addSpecialTokens: false })).toEqual([11, 12]);
  });

  it('takes a whole vocabulary word over the merges for llama-bpe only (llama.cpp ignore_merges)', () => {
    // No merge builds "abc", so BPE stops at "ab" + "c"; Llama 3 looks the word up first.
    expect(tokenizerFromGguf(tinyMetadata('qwen2')).encode('abc')).toEqual([3, 2]);
    expect(tokenizerFromGguf(tinyMetadata('llama-bpe')).encode('abc', { addSpecialTokens: false })).toEqual([4]);
  });

  it('adds BOS only when the metadata says so, by default as llama.cpp does per pre-tokenizer', () => {
    expect(tokenizerFromGguf(tinyMetadata('qwen2')).encode('ab')).toEqual([3]);
    expect(tokenizerFromGguf(tinyMetadata('qwen2')).addBos).toBe(false);
    const t = tokenizerFromGguf(tinyMetadata('qwen2', [['tokenizer.ggml.add_bos_token', true]]));
    expect(t.encode('ab')).toEqual([13, 3]);
    expect(t.encode('ab', { addSpecialTokens: false })).toEqual([3]);
    expect(t.bosId).toBe(13);
    expect(t.addBos).toBe(true);
    expect(tokenizerFromGguf(tinyMetadata('llama-bpe')).encode('ab')).toEqual([13, 3]);
    expect(tokenizerFromGguf(tinyMetadata('llama-bpe', [['tokenizer.ggml.add_bos_token', false]])).encode('ab')).toEqual([3]);
    const eos = tokenizerFromGguf(tinyMetadata('qwen2', [['tokenizer.ggml.eos_token_id', 17], ['tokenizer.ggml.add_eos_token', true]]));
    expect(eos.encode('ab')).toEqual([3, 17]);
  });

  it('stops at EOS, end-of-turn and end-of-message ids; takes bigint ids and typed arrays', () => {
    const t = tokenizerFromGguf(tinyMetadata('qwen2', [
      ['tokenizer.ggml.eos_token_id', 17n],
      ['tokenizer.ggml.eot_token_id', 13],
      ['tokenizer.ggml.eom_token_id', 17],
      ['tokenizer.ggml.token_type', Int32Array.from(tinyMetadata('qwen2').get('tokenizer.ggml.token_type') as number[])],
    ]));
    expect(t.eosIds).toEqual([17, 13]);
    expect(t.encode('a</s>')).toEqual([0, 17]);
  });

  it('names metadata of the wrong shape', () => {
    expect(() => tokenizerFromGguf(tinyMetadata('qwen2', [['tokenizer.ggml.bos_token_id', 99]]))).toThrow(/bos_token_id = 99 is outside the 19 tokens/);
    expect(() => tokenizerFromGguf(tinyMetadata('qwen2', [['tokenizer.ggml.token_type', [1, 1]]]))).toThrow(/19 tokens but 2 token types/);
    expect(() => tokenizerFromGguf(tinyMetadata('qwen2', [['tokenizer.ggml.merges', 'a b']]))).toThrow(/merges is not an array/);
    const noTokens = tinyMetadata('qwen2');
    noTokens.delete('tokenizer.ggml.tokens');
    expect(() => tokenizerFromGguf(noTokens)).toThrow(/has no tokenizer.ggml.tokens/);
    expect(() => tokenizerFromGguf(tinyMetadata('qwen2', [['tokenizer.ggml.add_bos_token', true], ['tokenizer.ggml.bos_token_id', undefined]]))).toThrow(
      /add BOS but has no tokenizer.ggml.bos_token_id/,
    );
  });

  it('matches user-defined and control tokens whole; only control ones are skipped in decoding', () => {
    const t = tokenizerFromGguf(tinyMetadata('qwen2'));
    expect(t.encode('a<x>b</s>')).toEqual([0, 16, 1, 17]);
    expect(t.decode([0, 16, 1, 17], { skipSpecialTokens: true })).toBe('a<x>b');
  });

  it('keeps unused and [PAD{id}] tokens out, and "__proto__" as an ordinary token', () => {
    const t = tokenizerFromGguf(tinyMetadata('qwen2'));
    expect(t.idOf('[PAD]')).toBeUndefined();
    expect(t.tokenBytes(14)).toEqual(new Uint8Array(0));
    expect(t.idOf('[PAD18]')).toBeUndefined();
    expect(t.encode('[PAD18]')).not.toContain(18);
    expect(t.tokenBytes(18)).toEqual(new Uint8Array(0));
    expect(t.idOf('__proto__')).toBe(15);
    expect(t.idOf('toString')).toBeUndefined();
    expect(t.vocabSize).toBe(19);
  });
});

const smallMd = (await readGguf(sourceFromBytes(writeGguf(benchGgufTokenizerMetadata(128256), []), 'small.gguf'))).metadata;

describe('the bench models\' stand-in tokenizer for Llama 3 sized vocabularies', () => {
  const V = 128256;
  const small = tokenizerFromGguf(smallMd);

  it('has every id below the vocabulary size, R1\'s added tokens in the last 256', () => {
    expect(small.bosId).toBe(V - 256 + (BOS_ID - 151643));
    expect(small.eosIds).toEqual([V - 256]);
    const ids = small.encode(PROMPT);
    expect(ids[0]).toBe(small.bosId);
    expect(Math.max(...ids)).toBeLessThan(V);
    expect(small.decode(ids)).toBe(hf.decode(hf.encode(PROMPT)));
  });

  it('encodes common text as Qwen does where Qwen\'s tokens survive the cut', () => {
    const text = 'The quick brown fox jumps over the lazy dog.';
    expect(small.encode(text, { addSpecialTokens: false })).toEqual(hf.encode(text, { addSpecialTokens: false }));
  });
});
