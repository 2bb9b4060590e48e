import { Tokenizer } from '@huggingface/tokenizers';
import { byteLevelBytes } from './byte-level.ts';
import { ggufTokenizerFiles } from './gguf-tokenizer-json.ts';
import { TokenizerError, UnsupportedTokenizerError } from './tokenizer-errors.ts';

export { TokenizerError, UnsupportedTokenizerError } from './tokenizer-errors.ts';

/** The model's own tokenizer, from tokenizer.json or from GGUF metadata, behind one small interface. */
export interface TextTokenizer {
  /**
   * `addSpecialTokens` (default true) adds what the model's files ask for: BOS for R1-Distill. A
   * rendered chat template already starts with BOS, so encode it with `addSpecialTokens: false`.
   */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  /** `skipSpecialTokens` drops tokens marked special; R1's `<think>` and `</think>` are not. */
  decode(ids: number[], opts?: { skipSpecialTokens?: boolean }): string;
  /**
   * The bytes a token stands for: a byte-level piece may be part of a UTF-8 character; an added
   * token gives its UTF-8; an id the tokenizer does not know gives none.
   */
  tokenBytes(id: number): Uint8Array;
  bosId: number | null;
  /** Every id that ends generation. */
  eosIds: number[];
  /** Whether `encode` with special tokens prepends BOS. */
  addBos: boolean;
  /** One past the largest id; for GGUF, the token list's length, padding entries included. */
  vocabSize: number;
  idOf(token: string): number | undefined;
}

type Json = Record<string, unknown>;

/** A special-token setting of tokenizer_config.json: a string or an AddedToken object. */
function tokenContent(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return null;
}

/** tokenBytes is only meaningful for byte-level BPE: refuse anything else up front. */
function checkByteLevel(json: Json): void {
  const model = json.model as Json | undefined;
  if (!model || typeof model.vocab !== 'object' || model.vocab === null) throw new TokenizerError('tokenizer.json has no model vocabulary');
  if (model.type !== undefined && model.type !== 'BPE') {
    throw new UnsupportedTokenizerError(`tokenizer.json model "${String(model.type)}" is not supported (only byte-level BPE)`);
  }
  const decoder = json.decoder as Json | null | undefined;
  const steps = decoder?.type === 'Sequence' ? ((decoder.decoders as Json[] | undefined) ?? []) : [decoder];
  if (!steps.some((d) => d?.type === 'ByteLevel')) {
    throw new UnsupportedTokenizerError(`tokenizer.json decoder "${String(decoder?.type)}" is not supported (only ByteLevel)`);
  }
}

/**
 * Ids are what reaches the GPU: every one a non-negative integer, and added tokens real objects, so
 * that a broken file fails here rather than as a TypeError or an id the embedding does not have.
 */
function checkIds(json: Json): void {
  const vocab = (json.model as Json).vocab as Json;
  for (const [s, id] of Object.entries(vocab)) {
    if (!Number.isSafeInteger(id) || (id as number) < 0) throw new TokenizerError(`tokenizer.json gives ${JSON.stringify(s)} the id ${JSON.stringify(id)}, which is not a token id`);
  }
  const added = json.added_tokens ?? [];
  if (!Array.isArray(added)) throw new TokenizerError('tokenizer.json "added_tokens" is not a list');
  for (const t of added as unknown[]) {
    const ok = typeof t === 'object' && t !== null && Number.isSafeInteger((t as Json).id) && ((t as Json).id as number) >= 0 && typeof (t as Json).content === 'string';
    if (!ok) throw new TokenizerError(`tokenizer.json has an added token that is not {id, content}: ${JSON.stringify(t)?.slice(0, 80)}`);
  }
}

type Ids = (token: string) => number | undefined;

/**
 * transformers' LlamaTokenizerFast (R1-Distill's tokenizer_class) ignores tokenizer.json's
 * post-processor and rebuilds it from tokenizer_config's add_bos_token (default true) and
 * add_eos_token (default false); other classes keep the file's.
 */
function postProcessor(json: Json, config: Json, idOf: Ids): unknown {
  if (config.tokenizer_class !== 'LlamaTokenizerFast') return json.post_processor;
  const pick = (flag: boolean, key: 'bos_token' | 'eos_token'): [string, number] | null => {
    if (!flag) return null;
    const content = tokenContent(config[key]);
    const id = content === null ? undefined : idOf(content);
    if (content === null || id === undefined) throw new TokenizerError(`tokenizer_config.json asks to add its ${key}, but it has none in the vocabulary`);
    return [content, id];
  };
  const bos = pick(config.add_bos_token !== false, 'bos_token');
  const eos = pick(config.add_eos_token === true, 'eos_token');
  const seq = (typeId: number) => [
    ...(bos ? [{ SpecialToken: { id: bos[0], type_id: typeId } }] : []),
    { Sequence: { id: typeId === 0 ? 'A' : 'B', type_id: typeId } },
    ...(eos ? [{ SpecialToken: { id: eos[0], type_id: typeId } }] : []),
  ];
  const specials = [bos, eos].filter((t) => t !== null);
  return {
    type: 'TemplateProcessing',
    single: seq(0),
    pair: [...seq(0), ...seq(1)],
    special_tokens: Object.fromEntries(specials.map(([t, id]) => [t, { id: t, ids: [id], tokens: [t] }])),
  };
}

/** The tokenizer of a Hugging Face model folder: its tokenizer.json and tokenizer_config.json. */
export function tokenizerFromHf(tokenizerJson: Json, tokenizerConfig: Json): TextTokenizer {
  checkByteLevel(tokenizerJson);
  checkIds(tokenizerJson);
  const vocab = (tokenizerJson.model as Json).vocab as Record<string, number>;
  const added = new Map<number, string>();
  const addedIds = new Map<string, number>();
  for (const t of (tokenizerJson.added_tokens as { id: number; content: string }[] | undefined) ?? []) {
    added.set(t.id, t.content);
    addedIds.set(t.content, t.id);
  }
  // hasOwn: a plain lookup would answer idOf('constructor' | 'hasOwnProperty' | ...) from Object.prototype.
  const idOf: Ids = (s) => addedIds.get(s) ?? (Object.hasOwn(vocab, s) ? vocab[s] : undefined);

  let tok: Tokenizer;
  try {
    tok = new Tokenizer({ ...tokenizerJson, post_processor: postProcessor(tokenizerJson, tokenizerConfig, idOf) }, tokenizerConfig);
  } catch (e) {
    throw new TokenizerError(`tokenizer.json could not be loaded: ${(e as Error).message}`);
  }

  const byId: string[] = [];
  let maxId = -1;
  for (const [s, id] of Object.entries(vocab)) {
    byId[id] = s;
    maxId = Math.max(maxId, id);
  }
  for (const id of added.keys()) maxId = Math.max(maxId, id);
  const bos = tokenContent(tokenizerConfig.bos_token);
  const eos = tokenContent(tokenizerConfig.eos_token);
  const bosId = bos === null ? null : (idOf(bos) ?? null);
  const eosId = eos === null ? undefined : idOf(eos);
  const encoder = new TextEncoder();
  const encode = (text: string, addSpecialTokens: boolean) => tok.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  return {
    encode: (text, opts = {}) => encode(text, opts.addSpecialTokens ?? true),
    decode: (ids, opts = {}) => (ids.length ? tok.decode(ids, { skip_special_tokens: opts.skipSpecialTokens ?? false }) : ''),
    tokenBytes(id) {
      const a = added.get(id);
      if (a !== undefined) return encoder.encode(a);
      const s = byId[id];
      return s === undefined ? new Uint8Array(0) : (byteLevelBytes(s) ?? encoder.encode(s));
    },
    bosId,
    eosIds: eosId === undefined ? [] : [eosId],
    // Asked of the built tokenizer itself, so it holds whichever post-processor rule applied.
    addBos: bosId !== null && encode('', true)[0] === bosId,
    vocabSize: maxId + 1,
    idOf,
  };
}

/**
 * The tokenizer of a GGUF file, from its `tokenizer.ggml.*` metadata (values as the GGUF reader
 * gives them: strings, numbers or bigints, booleans, arrays). Throws UnsupportedTokenizerError for
 * a tokenizer model other than "gpt2" or a pre-tokenizer other than qwen2, deepseek-r1-qwen,
 * llama-bpe and llama3.
 */
export function tokenizerFromGguf(metadata: ReadonlyMap<string, unknown>): TextTokenizer {
  const files = ggufTokenizerFiles(metadata);
  const t = tokenizerFromHf(files.tokenizerJson, files.tokenizerConfig);
  return { ...t, eosIds: files.eosIds, vocabSize: files.tokenCount };
}
