import { ggufPartOf, readGgufModel, type GgufPartOpener } from '../formats/gguf-split.ts';
import { FormatError } from '../formats/errors.ts';
import { fileLabel, filesFromFileList, filesFromHfRepo, filesFromUrlBase, readJson, type ModelFiles } from '../formats/model-files.ts';
import { resolveQuantized } from '../formats/quant/resolve.ts';
import { activationRoundingOf, quantSchemeOfFolder, type ActivationRounding } from '../formats/quant/scheme.ts';
import { readShardedSafetensors } from '../formats/safetensors.ts';
import { HttpError, sourceFromBlob, sourceFromUrl, type ByteSource } from '../formats/source.ts';
import type { TensorEntry } from '../formats/tensor.ts';
import { ARCHITECTURES } from '../model/arch.ts';
import type { ModelConfig } from '../model/config.ts';
import { configFromGguf, configFromHf } from '../model/config-load.ts';
import { hfNameOfGguf } from '../model/tensor-names.ts';
import { tokenizerFromGguf, tokenizerFromHf, type TextTokenizer } from '../text/tokenizer.ts';

/**
 * Where a model comes from: a URL (a .gguf file, or a folder of safetensors files served over HTTP),
 * a Hugging Face repo id ("owner/name", or "owner/name/file.gguf"), a File or dropped files, or
 * (in Node, source-node.ts; a kept copy, cached-model.ts) a GGUF source with a way to open the other
 * parts of a split model, or a folder.
 */
export type ModelInput = string | Blob | File[] | GgufInput | { folder: ModelFiles };

/** A .gguf file (`fileName`: its name, which a split model's parts are found by) and its siblings. */
export interface GgufInput {
  gguf: ByteSource;
  fileName?: string;
  openPart?: GgufPartOpener;
}

/** Everything a model's files say, before any weight is read. */
export interface ModelBundle {
  name: string;
  format: 'gguf' | 'safetensors';
  config: ModelConfig;
  /** By Hugging Face tensor name. */
  tensors: Map<string, TensorEntry>;
  tokenizer: TextTokenizer;
  chatTemplate: string | null;
  generation: GenerationDefaults;
  /** GGUF llama files store Q/K permuted for adjacent-pair RoPE. */
  unpermuteQk: boolean;
  /** W8A8 checkpoints: how each quantized Linear's input is rounded (FP8 E4M3 or INT8); null: as computed. */
  activationRounding: ActivationRounding | null;
}

/** Sampling defaults from generation_config.json (R1-Distill: 0.6 / 0.95). */
export interface GenerationDefaults {
  temperature?: number;
  topP?: number;
  topK?: number;
  repetitionPenalty?: number;
  eosIds: number[];
}

export class ModelSourceError extends Error {
  override name = 'ModelSourceError';
}

const HF_REPO = /^[\w.-]+\/[\w.-]+(\/.+)?$/;

export async function openModel(input: ModelInput): Promise<ModelBundle> {
  if (typeof input === 'string') return openModelString(input);
  if (input instanceof Blob) {
    const name = (input as File).name ?? 'model.gguf';
    return fromGguf(sourceFromBlob(input, name), name);
  }
  if (Array.isArray(input)) {
    const gguf = input.filter((f) => /\.gguf$/i.test(f.name));
    if (gguf.length && !input.some((f) => f.name === 'config.json')) return fromGgufFiles(gguf);
    return fromFolder(filesFromFileList(input));
  }
  if ('gguf' in input) return fromGguf(input.gguf, input.fileName ?? baseName(input.gguf.name), input.openPart);
  return fromFolder(input.folder);
}

/** One .gguf File, or the parts of one split model (read from its first part, the others by name). */
function fromGgufFiles(files: File[]): Promise<ModelBundle> {
  const first = files.length === 1 ? files[0] : files.find((f) => ggufPartOf(f.name)?.part === 1);
  if (!first) {
    throw new ModelSourceError(`${files.length} .gguf files were given (${files.map((f) => f.name).join(', ')}): give one model file, or every part of one split model`);
  }
  const byName = (name: string) => files.find((f) => f.name === name) ?? null;
  return fromGguf(sourceFromBlob(first, first.name), first.name, async (name) => {
    const f = byName(name);
    return f && sourceFromBlob(f, f.name);
  });
}

/** The last segment of a path or URL path, percent-escapes decoded where they are valid. */
export function baseName(pathOrUrl: string): string {
  const last = pathOrUrl.replace(/[?#].*$/, '').split(/[/\\]/).pop() ?? pathOrUrl;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/**
 * The URL of another part of a split GGUF model beside the one at `url` (file names as decoded by
 * baseName), with the same query (a host's `?download=true` and the like).
 */
export function partUrl(url: string, name: string): string {
  const u = new URL(encodeURIComponent(name), url);
  u.search = new URL(url).search;
  return u.href;
}

/** The other parts of a split GGUF model beside the one at `url`; a 404 means there is no such part. */
export function urlPartOpener(url: string): GgufPartOpener {
  return async (name) => {
    try {
      return await sourceFromUrl(partUrl(url, name));
    } catch (e) {
      if (e instanceof HttpError && e.status === 404) return null;
      throw e;
    }
  };
}

async function openModelString(s: string): Promise<ModelBundle> {
  // A path on this site ("/models/x.gguf", "./demo/") in a page: resolve it against the page.
  const base = (globalThis as { location?: { href: string } }).location?.href;
  if (base && /^\.{0,2}\//.test(s)) s = new URL(s, base).href;
  if (/^https?:\/\//.test(s)) {
    if (/\.gguf(\?.*)?$/i.test(s)) return fromGguf(await sourceFromUrl(s), baseName(new URL(s).pathname), urlPartOpener(s));
    return fromFolder(filesFromUrlBase(s));
  }
  if (HF_REPO.test(s)) {
    const [owner, name, ...rest] = s.split('/');
    const files = filesFromHfRepo(`${owner}/${name}`);
    if (rest.length) {
      const path = rest.join('/');
      const src = await files.open(path);
      if (!src) throw new ModelSourceError(`${s}: no such file in the Hugging Face repo ${owner}/${name}`);
      // Repo paths are used as typed (percent-escapes and all): so are the parts' names made from them.
      const slash = path.lastIndexOf('/') + 1;
      return fromGguf(src, path.slice(slash), (part) => files.open(path.slice(0, slash) + part));
    }
    return fromFolder(files);
  }
  throw new ModelSourceError(
    `"${s}" is not a model location: give an https URL of a .gguf file or of a model folder, ` +
      'a Hugging Face repo id such as deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B, or local files',
  );
}

/** A GGUF model: `src` (named `fileName`), with the other parts of a split model found by `openPart`. */
export async function fromGguf(src: ByteSource, fileName: string, openPart?: GgufPartOpener): Promise<ModelBundle> {
  const file = await readGgufModel(src, fileName, openPart);
  const tensors = new Map<string, TensorEntry>();
  for (const t of file.tensors) {
    const hf = hfNameOfGguf(t.name);
    if (hf) tensors.set(hf, t);
  }
  const embed = tensors.get('model.embed_tokens.weight');
  if (!embed) throw new ModelSourceError(`${src.name}: the GGUF file has no token_embd.weight tensor`);
  const config = configFromGguf(file.metadata, embed.shape[0], tensors.has('lm_head.weight'));
  const tokenizer = tokenizerFromGguf(file.metadata);
  checkVocab(src.name, tokenizer, config);
  const template = file.metadata.get('tokenizer.chat_template');
  return {
    name: String(file.metadata.get('general.name') ?? src.name),
    format: 'gguf',
    config,
    tensors,
    tokenizer,
    chatTemplate: typeof template === 'string' ? template : null,
    generation: { eosIds: tokenizer.eosIds },
    unpermuteQk: ARCHITECTURES[config.arch].ggufQkPermuted,
    activationRounding: null,
  };
}

export async function fromFolder(files: ModelFiles): Promise<ModelBundle> {
  const configJson = await readJson(files, 'config.json');
  if (!configJson) throw new ModelSourceError(`${files.name}: no config.json (is this a Hugging Face model folder?)`);
  const config = configFromHf(configJson as Record<string, unknown>);
  const tokJson = await readJson(files, 'tokenizer.json');
  if (!tokJson) throw new ModelSourceError(`${files.name}: no tokenizer.json`);
  const tokConfig = ((await readJson(files, 'tokenizer_config.json')) ?? {}) as Record<string, unknown>;
  const gen = (await readJson(files, 'generation_config.json')) as Record<string, unknown> | null;
  const tokenizer = tokenizerFromHf(tokJson as Record<string, unknown>, tokConfig);
  checkVocab(fileLabel(files, 'tokenizer.json'), tokenizer, config);
  const { tensors: list } = await readShardedSafetensors(files);
  // Quantized checkpoints (FP8, INT8, INT4, NF4, FP4, MLX): each Linear's packed weights and scales become one repacked weight.
  const scheme = await quantSchemeOfFolder(configJson as Record<string, unknown>, list.map((t) => t.name), (f) => readJson(files, f), (f) => fileLabel(files, f));
  const tensors = await resolveQuantized(new Map(list.map((t) => [t.name, t])), scheme);
  return {
    name: files.name,
    format: 'safetensors',
    config,
    tensors,
    tokenizer,
    chatTemplate: templateOf(tokConfig.chat_template),
    generation: generationDefaults(gen, tokenizer.eosIds),
    unpermuteQk: false,
    activationRounding: activationRoundingOf(configJson as Record<string, unknown>),
  };
}

/**
 * Sampling defaults and stop ids from generation_config.json (null: the folder has none, and
 * resolveSettings falls back to R1's recommendation). Where the file is there, what it leaves out
 * takes the value transformers and vLLM agree on (temperature 1, top-p 1, no repetition penalty;
 * top-k off, as vLLM); `do_sample: false` means greedy, as in transformers. Its eos_token_id (a
 * number or a list) adds to the tokenizer's.
 */
export function generationDefaults(gen: Record<string, unknown> | null, tokenizerEos: number[]): GenerationDefaults {
  if (!gen) return { eosIds: tokenizerEos };
  const eos = gen.eos_token_id;
  const genEos = typeof eos === 'number' ? [eos] : Array.isArray(eos) ? eos.filter((x): x is number => Number.isInteger(x)) : [];
  return {
    temperature: gen.do_sample === false ? 0 : (numOrUndef(gen.temperature) ?? 1),
    topP: numOrUndef(gen.top_p) ?? 1,
    topK: numOrUndef(gen.top_k) ?? 0,
    repetitionPenalty: numOrUndef(gen.repetition_penalty) ?? 1,
    eosIds: [...new Set([...tokenizerEos, ...genEos])],
  };
}

/** Token ids past the embedding's rows would be looked up past its end on the GPU: refuse such a tokenizer. */
function checkVocab(file: string, tokenizer: TextTokenizer, config: ModelConfig): void {
  if (tokenizer.vocabSize <= config.vocabSize) return;
  throw new FormatError(
    file,
    `has token ids up to ${tokenizer.vocabSize - 1}, but the model has ${config.vocabSize} embedding rows (vocab_size): is it the tokenizer of another model?`,
  );
}

/** tokenizer_config.json's chat_template is a string, or a list of named templates. */
function templateOf(t: unknown): string | null {
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t as { name: string; template: string }[];
    return (named.find((x) => x.name === 'default') ?? named[0])?.template ?? null;
  }
  return null;
}

function numOrUndef(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}
