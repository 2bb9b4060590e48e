import { TokenizerError, UnsupportedTokenizerError } from './tokenizer-errors.ts';

/*
 * GGUF files carry the tokenizer as `tokenizer.ggml.*` arrays; the pre-tokenizer is only named
 * (`tokenizer.ggml.pre`) and llama.cpp supplies the regex from its own table (src/llama-vocab.cpp).
 * This rebuilds the tokenizer.json / tokenizer_config.json pair that describes the same tokenizer,
 * so one implementation serves both kinds of model files.
 */

type Json = Record<string, unknown>;

// Oniguruma syntax, as tokenizer.json stores it. They differ only in numbers: Qwen splits digits one
// by one, Llama 3 in runs of up to three.
const QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

interface PreTokenizer {
  split: string;
  nfc: boolean;
  /** A pre-token that is itself in the vocabulary is one token, whatever the merges say (Llama 3). */
  ignoreMerges: boolean;
  /** llama.cpp's add_bos when the file has no tokenizer.ggml.add_bos_token. */
  addBosDefault: boolean;
}

const QWEN2: PreTokenizer = { split: QWEN2_SPLIT, nfc: true, ignoreMerges: false, addBosDefault: false };
const LLAMA3: PreTokenizer = { split: LLAMA3_SPLIT, nfc: false, ignoreMerges: true, addBosDefault: true };

/** By `tokenizer.ggml.pre`, as llama.cpp maps the names to its pre-tokenizer types. */
const PRE_TOKENIZERS = new Map<string, PreTokenizer>([
  ['qwen2', QWEN2],
  ['deepseek-r1-qwen', QWEN2],
  ['llama-bpe', LLAMA3],
  ['llama3', LLAMA3],
]);

// gguf-py TokenType values.
const CONTROL = 3;
const USER_DEFINED = 4;
const UNUSED = 5;

const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };

/** Reads typed values out of the metadata map, naming the key when one has the wrong type. */
function reader(md: ReadonlyMap<string, unknown>) {
  const wrong = (key: string, what: string) => new TokenizerError(`GGUF metadata ${key} is not ${what}`);
  const list = (key: string): ArrayLike<unknown> | undefined => {
    const v = md.get(key);
    if (v === undefined) return undefined;
    // The project's reader gives arrays; other readers give typed arrays for numbers.
    if (Array.isArray(v) || ArrayBuffer.isView(v)) return v as ArrayLike<unknown>;
    throw wrong(key, 'an array');
  };
  return {
    string(key: string): string | undefined {
      const v = md.get(key);
      if (v !== undefined && typeof v !== 'string') throw wrong(key, 'a string');
      return v;
    },
    int(key: string): number | undefined {
      const v = md.get(key);
      if (v === undefined) return undefined;
      const n = typeof v === 'bigint' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw wrong(key, 'an integer');
      return n;
    },
    bool(key: string): boolean | undefined {
      const v = md.get(key);
      if (v !== undefined && typeof v !== 'boolean') throw wrong(key, 'a boolean');
      return v;
    },
    strings(key: string): string[] {
      const v = list(key);
      if (!v) throw new TokenizerError(`GGUF metadata has no ${key}`);
      const out = Array.from(v);
      if (!out.every((x) => typeof x === 'string')) throw wrong(key, 'an array of strings');
      return out as string[];
    },
    ints(key: string): number[] | undefined {
      const v = list(key);
      return v && Array.from(v, (x) => Number(x));
    },
  };
}

/** What `tokenizerFromHf` needs to build the GGUF file's tokenizer. */
export interface GgufTokenizerFiles {
  tokenizerJson: Json;
  tokenizerConfig: Json;
  /** The length of the token list, padding entries included: the model's embedding rows. */
  tokenCount: number;
  eosIds: number[];
}

/** The tokenizer.json and tokenizer_config.json that describe a GGUF file's tokenizer. */
export function ggufTokenizerFiles(md: ReadonlyMap<string, unknown>): GgufTokenizerFiles {
  const r = reader(md);
  const model = r.string('tokenizer.ggml.model');
  if (model !== 'gpt2') {
    throw new UnsupportedTokenizerError(`GGUF tokenizer model "${String(model)}" is not supported (only byte-level BPE, "gpt2")`);
  }
  const preName = r.string('tokenizer.ggml.pre') ?? 'default';
  const pre = PRE_TOKENIZERS.get(preName);
  if (!pre) {
    throw new UnsupportedTokenizerError(`GGUF pre-tokenizer "${preName}" is not supported (supported: ${[...PRE_TOKENIZERS.keys()].join(', ')})`);
  }
  const tokens = r.strings('tokenizer.ggml.tokens');
  const merges = r.strings('tokenizer.ggml.merges');
  const types = r.ints('tokenizer.ggml.token_type');
  if (types && types.length !== tokens.length) {
    throw new TokenizerError(`GGUF metadata has ${tokens.length} tokens but ${types.length} token types`);
  }

  // No prototype: a token spelled "__proto__" must become a key, not replace the prototype.
  const vocab: Record<string, number> = Object.create(null);
  const added: Json[] = [];
  tokens.forEach((t, id) => {
    const type = types ? types[id] : 1;
    // Padding rows past the tokenizer's last id: converters write "[PAD{id}]", typed unused (older
    // converters: user-defined). They are no tokens at all.
    if (type === UNUSED || t === `[PAD${id}]`) return;
    if (type === CONTROL || type === USER_DEFINED) {
      added.push({ id, content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: type === CONTROL });
    } else {
      vocab[t] = id;
    }
  });

  const tokenAt = (key: string): [number, string] | null => {
    const id = r.int(key);
    if (id === undefined) return null;
    if (id < 0 || id >= tokens.length) throw new TokenizerError(`GGUF metadata ${key} = ${id} is outside the ${tokens.length} tokens`);
    return [id, tokens[id]];
  };
  const bos = tokenAt('tokenizer.ggml.bos_token_id');
  const eos = tokenAt('tokenizer.ggml.eos_token_id');
  // llama.cpp stops at any end-of-generation token: end of turn and end of message count too.
  const eogIds = [eos, tokenAt('tokenizer.ggml.eot_token_id'), tokenAt('tokenizer.ggml.eom_token_id')].flatMap((t) => (t ? [t[0]] : []));
  const addBos = r.bool('tokenizer.ggml.add_bos_token') ?? pre.addBosDefault;
  const addEos = r.bool('tokenizer.ggml.add_eos_token') ?? false;
  if (addBos && !bos) throw new TokenizerError('GGUF metadata asks to add BOS but has no tokenizer.ggml.bos_token_id');
  if (addEos && !eos) throw new TokenizerError('GGUF metadata asks to add EOS but has no tokenizer.ggml.eos_token_id');

  const ends = (typeId: number) => [
    ...(addBos && bos ? [{ SpecialToken: { id: bos[1], type_id: typeId } }] : []),
    { Sequence: { id: typeId === 0 ? 'A' : 'B', type_id: typeId } },
    ...(addEos && eos ? [{ SpecialToken: { id: eos[1], type_id: typeId } }] : []),
  ];
  const specials = [...(addBos && bos ? [bos] : []), ...(addEos && eos ? [eos] : [])];
  const tokenizerJson: Json = {
    version: '1.0',
    added_tokens: added,
    normalizer: pre.nfc ? { type: 'NFC' } : null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [{ type: 'Split', pattern: { Regex: pre.split }, behavior: 'Isolated', invert: false }, BYTE_LEVEL],
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: ends(0),
      pair: [...ends(0), ...ends(1)],
      special_tokens: Object.fromEntries(specials.map(([id, t]) => [t, { id: t, ids: [id], tokens: [t] }])),
    },
    decoder: BYTE_LEVEL,
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, ignore_merges: pre.ignoreMerges, vocab, merges,
    },
  };
  // Decoding must give back the exact text: no space clean-up around punctuation.
  const tokenizerConfig: Json = { bos_token: bos?.[1] ?? null, eos_token: eos?.[1] ?? null, clean_up_tokenization_spaces: false };
  return { tokenizerJson, tokenizerConfig, tokenCount: tokens.length, eosIds: [...new Set(eogIds)] };
}
