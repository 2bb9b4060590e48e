import { Tokenizer } from '@huggingface/tokenizers';
import { byteLevelBytes } from './byte-level.ts';

/** The model's own tokenizer, from tokenizer.json or from GGUF metadata, behind one small interface. */
export interface TextTokenizer {
  /** `addSpecialTokens` (default true) runs the post-processor: BOS when the model's files say so. */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** The bytes a token stands for: byte-level pieces may be part of a UTF-8 character. */
  tokenBytes(id: number): Uint8Array;
  bosId: number | null;
  eosIds: number[];
  vocabSize: number;
  idOf(token: string): number | undefined;
}

export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

type Json = Record<string, unknown>;

/** A special-token setting of tokenizer_config.json: a string or an AddedToken object. */
function tokenContent(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return null;
}

export function tokenizerFromHf(tokenizerJson: Json, tokenizerConfig: Json): TextTokenizer {
  const model = tokenizerJson.model as Json | undefined;
  if (!model || typeof model.vocab !== 'object') throw new TokenizerError('tokenizer.json has no model vocabulary');
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(tokenizerJson as never, tokenizerConfig as never);
  } catch (e) {
    throw new TokenizerError(`tokenizer.json could not be loaded: ${(e as Error).message}`);
  }
  const added = new Map<number, string>();
  for (const t of (tokenizerJson.added_tokens as { id: number; content: string }[] | undefined) ?? []) added.set(t.id, t.content);
  const vocab = model.vocab as Record<string, number>;
  // hasOwn: a plain lookup would answer idOf('constructor' | 'hasOwnProperty' | ...) from Object.prototype.
  const idOf = (s: string) => [...added].find(([, c]) => c === s)?.[0] ?? (Object.hasOwn(vocab, s) ? vocab[s] : undefined);
  const bos = tokenContent(tokenizerConfig.bos_token);
  const eos = tokenContent(tokenizerConfig.eos_token);
  const byId: string[] = [];
  for (const [s, id] of Object.entries(vocab)) byId[id] = s;
  let maxId = byId.length - 1;
  for (const id of added.keys()) maxId = Math.max(maxId, id);
  const encoder = new TextEncoder();
  return {
    encode: (text, opts = {}) => tok.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids,
    decode: (ids, opts = {}) => (ids.length ? tok.decode(ids, { skip_special_tokens: opts.skipSpecialTokens ?? false }) : ''),
    tokenBytes(id) {
      const a = added.get(id);
      if (a !== undefined) return encoder.encode(a);
      const s = byId[id];
      if (s === undefined) return new Uint8Array(0);
      return byteLevelBytes(s) ?? encoder.encode(s);
    },
    bosId: bos === null ? null : (idOf(bos) ?? null),
    eosIds: eos === null || idOf(eos) === undefined ? [] : [idOf(eos)!],
    vocabSize: maxId + 1,
    idOf,
  };
}

// Pre-tokenizer regexes, by GGUF `tokenizer.ggml.pre` (llama.cpp llama-vocab.cpp).
const QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
// `ignoreMerges`: a pre-token that is itself in the vocabulary is one token, whatever the merges say
// (llama.cpp sets ignore_merges for its LLAMA3 pre-type, as Llama 3's tokenizer.json does).
const PRE_TOKENIZERS: Record<string, { split: string; nfc: boolean; ignoreMerges: boolean }> = {
  qwen2: { split: QWEN2_SPLIT, nfc: true, ignoreMerges: false },
  'deepseek-r1-qwen': { split: QWEN2_SPLIT, nfc: true, ignoreMerges: false },
  'llama-bpe': { split: LLAMA3_SPLIT, nfc: false, ignoreMerges: true },
  llama3: { split: LLAMA3_SPLIT, nfc: false, ignoreMerges: true },
};

const CONTROL = 3;
const USER_DEFINED = 4;

/** GGUF metadata -> the tokenizer.json that describes the same tokenizer, then as from Hugging Face. */
export function tokenizerFromGguf(md: ReadonlyMap<string, unknown>): TextTokenizer {
  const kind = md.get('tokenizer.ggml.model');
  if (kind !== 'gpt2') throw new TokenizerError(`GGUF tokenizer model "${String(kind)}" is not supported (only byte-level BPE, "gpt2")`);
  const preName = String(md.get('tokenizer.ggml.pre') ?? 'default');
  const pre = Object.hasOwn(PRE_TOKENIZERS, preName) ? PRE_TOKENIZERS[preName] : undefined;
  if (!pre) {
    throw new TokenizerError(`GGUF pre-tokenizer "${preName}" is not supported (supported: ${Object.keys(PRE_TOKENIZERS).join(', ')})`);
  }
  const tokens = md.get('tokenizer.ggml.tokens');
  const types = md.get('tokenizer.ggml.token_type');
  const merges = md.get('tokenizer.ggml.merges');
  if (!Array.isArray(tokens) || !Array.isArray(merges)) throw new TokenizerError('GGUF metadata lacks tokenizer.ggml.tokens or tokenizer.ggml.merges');
  // No prototype: a token spelled "__proto__" must become a key, not replace the prototype.
  const vocab: Record<string, number> = Object.create(null);
  const added: Json[] = [];
  tokens.forEach((t: string, id: number) => {
    const type = Array.isArray(types) ? Number(types[id]) : 1;
    if (type === CONTROL || type === USER_DEFINED) {
      added.push({ id, content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: type === CONTROL });
    } else if (type !== 5) {
      vocab[t] = id;
    }
  });
  const id = (key: string) => (md.has(key) ? Number(md.get(key)) : null);
  const bosId = id('tokenizer.ggml.bos_token_id');
  const eosId = id('tokenizer.ggml.eos_token_id');
  const addBos = md.get('tokenizer.ggml.add_bos_token') === true && bosId !== null;
  const bos = bosId === null ? null : tokens[bosId];
  const json: Json = {
    version: '1.0',
    added_tokens: added,
    normalizer: pre.nfc ? { type: 'NFC' } : null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: pre.split }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: addBos
      ? {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
          special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } },
        }
      : { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, ignore_merges: pre.ignoreMerges, vocab, merges },
  };
  const config: Json = { bos_token: bos, eos_token: eosId === null ? null : tokens[eosId], clean_up_tokenization_spaces: false };
  const t = tokenizerFromHf(json, config);
  return { ...t, vocabSize: tokens.length };
}
