import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DTYPE_LAYOUTS, isWeightDtype, type GgmlDtype, type WeightDtype } from '../../src/formats/dtypes.ts';
import { GGML_TYPE_ID } from '../../src/formats/ggml-types.ts';
import { ggufPartNames, readGgufModel } from '../../src/formats/gguf-split.ts';
import { writeGguf, writeSplitGguf, type GgufWriteTensor, type GgufWriteValue } from '../../src/formats/gguf-writer.ts';
import { dequantizeRows } from '../../src/formats/numeric.ts';
import { readShardedSafetensors } from '../../src/formats/safetensors.ts';
import { writeSafetensors } from '../../src/formats/safetensors-writer.ts';
import { filesFromDirectory, sourceFromPath } from '../../src/formats/source-node.ts';
import type { TensorEntry } from '../../src/formats/tensor.ts';
import type { ArchName, ModelConfig } from '../../src/model/config.ts';
import { configFromGguf, configFromHf } from '../../src/model/config-load.ts';
import { ropeInvFreqs } from '../../src/model/rope-freqs.ts';
import { ggufNameOfHf, hfNameOfGguf, unpermuteRow } from '../../src/model/tensor-names.ts';
import { RefModel } from '../../src/ref/forward.ts';
import { resolveQuantized } from '../../src/formats/quant/resolve.ts';
import { activationRoundingOf, quantSchemeOf, type ActivationRounding } from '../../src/formats/quant/scheme.ts';
import { quantizeOnLoad, type QuantizeMode } from '../../src/formats/quant/on-load.ts';
import { isCheckpointQuant, quantizedCheckpoint, type CheckpointQuant } from './quant-checkpoints.ts';
import { encodeWeights, isKQuantDtype, randomKQuantBytes } from './encode-weights.ts';
import { Rng } from './random.ts';
import { quantizeKQuant } from './k-quants.ts';
import { EOS_ID, R1_GENERATION_CONFIG, r1GgufTokenizerMetadata, r1TokenizerConfig, r1TokenizerJson, SMALL_GENERATION_CONFIG, SMALL_VOCAB, SMALL_VOCAB_ID, smallGgufTokenizerMetadata, smallTokenizerJson } from './r1-tokenizer.ts';
import { REPO_ROOT } from './repo-root.ts';
import { makeScriptedModel, makeTestModel, TINY_DIMS, type TestModel, type TestModelDims } from './test-model.ts';

/**
 * Writes test models in the exact file formats of the real checkpoints: a GGUF file as llama.cpp's
 * converter lays it out (tensor names, metadata, permuted llama Q/K, rope_freqs for llama3 scaling,
 * F32 norms and biases), or a Hugging Face folder (config.json, safetensors, tokenizer files).
 */
export const TEST_MODEL_DIR = path.join(REPO_ROOT, '.cache/test-models');
export const TEST_MODEL_URL = (file: string) => `/test-models/${path.relative(TEST_MODEL_DIR, file)}${file.endsWith('.gguf') ? '' : '/'}`;

/**
 * A weight type for every matrix, or a llama.cpp K-quant mix on 256-wide test shapes (simplified
 * recipes, no per-layer alternation): 'q4_k_m' (Q6_K for the LM head, attn_v and ffn_down, Q4_K for
 * the rest), 'q5_k_m' (the same with Q5_K), 'q3_k_m' (Q6_K head, Q5_K attn_v and ffn_down, Q3_K rest),
 * 'q2_k_m' (llama.cpp's Q2_K recipe: Q6_K head, Q4_K attn_v and ffn_down, Q2_K rest); 'iq_mix' (every
 * grid i-quant and Q5_1 in one file, IQ_MIX); or (safetensors) a quantized checkpoint layout from
 * quant-checkpoints.ts. Q2_K, Q3_K and i-quant blocks are random but valid (no quantizer here).
 */
export type TestModelType = GgmlDtype | KMix | CheckpointQuant;
type KMix = 'q4_k_m' | 'q5_k_m' | 'q3_k_m' | 'q2_k_m' | 'iq_mix';
const isKMix = (t: string): t is KMix => ['q4_k_m', 'q5_k_m', 'q3_k_m', 'q2_k_m', 'iq_mix'].includes(t);

/**
 * The low-bit types of IQ2_XXS ... IQ3_M files, one per kind of tensor and layer (llama.cpp's recipes
 * mix them so too): each layer's q, k and v share a type, as do gate and up, so the fused QKV and
 * SwiGLU GEMVs run on grid types; the embedding reads through the grid as well.
 */
const IQ_MIX: Record<string, GgmlDtype> = {
  embed_tokens: 'iq2_xs',
  lm_head: 'q5_1',
  'layers.0.self_attn.[qkv]_proj': 'iq2_xxs',
  'layers.0.self_attn.o_proj': 'iq2_xs',
  'layers.0.mlp.(gate|up)_proj': 'iq2_s',
  'layers.0.mlp.down_proj': 'iq3_xxs',
  'layers.1.self_attn.[qkv]_proj': 'iq3_s',
  'layers.1.self_attn.o_proj': 'iq1_s',
  'layers.1.mlp.(gate|up)_proj': 'iq1_m',
  'layers.1.mlp.down_proj': 'q5_1',
};

export interface TestModelSpec {
  arch: ArchName;
  format: 'gguf' | 'safetensors';
  dtype: TestModelType;
  /**
   * Split the weights over this many files: safetensors shards with an index.json, or GGUF parts as
   * llama.cpp's gguf-split writes them (a folder of NAME-0000i-of-0000n.gguf; the path is part 1's).
   */
  shards?: number;
  seed?: number;
  /** Matrix sizes; by default the smallest the type allows (TINY_DIMS, or 128 / 256 wide blocks). */
  dims?: 'tiny' | 'quant' | 'k-quant';
  /**
   * 'small': SMALL_VOCAB (1024) ids, with R1's tokenizer cut down to them: the LM head and the
   * embedding 150 times smaller than R1's 151936 rows, for tests of numerics rather than of text
   * (on a CPU adapter the full head costs ~150 ms a token).
   */
  vocab?: 'small';
}

const SEEDS: Record<ArchName, number> = { qwen2: 1, llama: 2, qwen3: 3 };

/** K-quant super-blocks are 256 values wide: every matrix dimension a multiple of 256. */
const K_QUANT_DIMS: TestModelDims = { ...TINY_DIMS, hiddenSize: 256, headDim: 64, ffnSize: 512 };
/** FP8 blocks and INT4 groups of 128: every matrix dimension a multiple of 128, as in the real models. */
const QUANT_DIMS: TestModelDims = { ...TINY_DIMS, hiddenSize: 128, headDim: 32, ffnSize: 256 };

function dimsOf(s: TestModelSpec): TestModelDims {
  const dims = s.dims
    ? { tiny: TINY_DIMS, quant: QUANT_DIMS, 'k-quant': K_QUANT_DIMS }[s.dims]
    : isKMix(s.dtype) || (isWeightDtype(s.dtype) && DTYPE_LAYOUTS[s.dtype].blockElems === 256)
      ? K_QUANT_DIMS
      : isCheckpointQuant(s.dtype)
        ? QUANT_DIMS
        : TINY_DIMS;
  return s.vocab === 'small' ? { ...dims, vocabSize: SMALL_VOCAB } : dims;
}

/** The type llama.cpp's Q4_K_M / Q5_K_M recipe gives a tensor (simplified: no per-layer alternation), or IQ_MIX's. */
function kMixType(hfName: string, mix: KMix): GgmlDtype {
  if (mix === 'iq_mix') {
    const hit = Object.entries(IQ_MIX).find(([pattern]) => new RegExp(`(^|\\.)${pattern}\\.weight$`).test(hfName));
    if (!hit) throw new Error(`no iq_mix type for ${hfName}`);
    return hit[1];
  }
  const [base, sensitive] = { q4_k_m: ['q4_k', 'q6_k'], q5_k_m: ['q5_k', 'q6_k'], q3_k_m: ['q3_k', 'q5_k'], q2_k_m: ['q2_k', 'q4_k'] }[mix] as [GgmlDtype, GgmlDtype];
  if (/lm_head/.test(hfName)) return 'q6_k';
  return /v_proj|down_proj/.test(hfName) ? sensitive : base;
}

export function testModelPath(s: TestModelSpec): string {
  const base = `${s.arch}-${s.dtype}${s.shards ? `-${s.shards}shards` : ''}${s.seed !== undefined ? `-s${s.seed}` : ''}${s.dims ? `-${s.dims}` : ''}${s.vocab ? `-${s.vocab}-vocab` : ''}`;
  if (s.format === 'gguf' && s.shards) return path.join(TEST_MODEL_DIR, base, ggufPartNames(`${base}-00001-of-${String(s.shards).padStart(5, '0')}.gguf`, s.shards)![0]);
  return path.join(TEST_MODEL_DIR, s.format === 'gguf' ? `${base}.gguf` : base);
}

/** Writes the model unless it is already there; returns its path. */
export async function ensureTestModel(s: TestModelSpec, out = testModelPath(s)): Promise<string> {
  if (await stat(out).catch(() => null)) return out;
  const model = makeTestModel(s.arch, s.seed ?? SEEDS[s.arch], dimsOf(s));
  // Written under a temporary name and renamed: a parallel or interrupted run never sees half a model.
  // A split GGUF is a folder of parts, renamed whole.
  const split = s.format === 'gguf' && s.shards !== undefined;
  const dest = split ? path.dirname(out) : out;
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  if (s.format === 'gguf') {
    const { metadata, tensors } = ggufContents(model, s.dtype);
    if (split) {
      await mkdir(tmp, { recursive: true });
      const names = ggufPartNames(path.basename(out), s.shards!)!;
      const parts = writeSplitGguf(metadata, tensors, s.shards!);
      for (const [i, name] of names.entries()) await writeFile(path.join(tmp, name), parts[i]);
    } else await writeFile(tmp, writeGguf(metadata, tensors));
  } else await writeHfFolder(tmp, model, s.dtype, s.shards ?? 1);
  await rename(tmp, dest).catch(async (e) => {
    // Another process wrote it first: keep theirs.
    await rm(tmp, { recursive: true, force: true });
    if (!(await stat(dest).catch(() => null))) throw e;
  });
  return out;
}

/**
 * A Hugging Face folder (qwen2, F32, TINY_DIMS, the small vocabulary) for long runs: random weights,
 * it rambles, and stops only when it happens to pick EOS.
 */
export function ensureSmallVocabModel(): Promise<string> {
  return ensureTestModel({ arch: 'qwen2', format: 'safetensors', dtype: 'f32', seed: 5, vocab: 'small' });
}

const HF_DTYPES: Partial<Record<WeightDtype, string>> = { f32: 'F32', f16: 'F16', bf16: 'BF16' };

/** What the scripted model says after the R1 generation prompt (which ends in `<think>` then "\n"). */
export const SCRIPTED_REPLY = 'The user says hello, so I greet them back.</think>\n\nHello **there**! Euler wrote $e^{i\\pi}+1=0$.';
/** Its token ids (Qwen2 BPE), then end of sentence. */
export const SCRIPTED_IDS = [785, 1196, 2727, 23811, 11, 773, 358, 40786, 1105, 1182, 13, 151649, 271, 9707, 3070, 18532, 334, 0, 80018, 6139, 400, 68, 47822, 72, 59, 2493, 92, 10, 16, 28, 15, 12947, 151643];

/**
 * A Hugging Face folder (qwen2, F32) whose greedy reply to any R1-templated prompt is SCRIPTED_REPLY:
 * the generation prompt's last token "\n" (198) leads into the chain.
 */
export async function ensureScriptedModel(): Promise<string> {
  const out = path.join(TEST_MODEL_DIR, 'scripted-qwen2');
  if (await stat(out).catch(() => null)) return out;
  await mkdir(TEST_MODEL_DIR, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  await writeHfFolder(tmp, makeScriptedModel([198, ...SCRIPTED_IDS], 11), 'f32', 1);
  await rename(tmp, out).catch(async (e) => {
    if (!(await stat(out).catch(() => null))) throw e;
  });
  return out;
}

async function writeHfFolder(dir: string, m: TestModel, dtype: TestModelType, shards: number): Promise<void> {
  const quant = isCheckpointQuant(dtype) ? quantizedCheckpoint(m, dtype) : undefined;
  const st = quant ? (dtype.startsWith('gptq') || dtype === 'awq' ? 'F16' : 'BF16') : HF_DTYPES[dtype as WeightDtype];
  if (!st) throw new Error(`safetensors test models are F32, F16, BF16 or a quantized checkpoint layout, not ${dtype}`);
  await mkdir(dir, { recursive: true });
  const torchDtype = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[st];
  const small = m.config.vocab_size === SMALL_VOCAB;
  // The small vocabulary moves the special tokens: config.json's ids follow them (EOS where R1's has none).
  const smallId = (id: unknown) => SMALL_VOCAB_ID.get(id as number) ?? SMALL_VOCAB_ID.get(EOS_ID)!;
  const ids = small ? { bos_token_id: smallId(m.config.bos_token_id), eos_token_id: smallId(m.config.eos_token_id) } : {};
  // mlx-lm writes its settings as `quantization` and repeats them as `quantization_config`.
  const quantKeys = quant ? { ...(dtype === 'mlx-4bit' ? { quantization: quant.quantizationConfig } : {}), quantization_config: quant.quantizationConfig } : {};
  const config = { ...m.config, ...ids, torch_dtype: torchDtype, ...quantKeys };
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  await writeFile(path.join(dir, 'generation_config.json'), JSON.stringify(small ? SMALL_GENERATION_CONFIG : R1_GENERATION_CONFIG, null, 2));
  await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(small ? smallTokenizerJson() : r1TokenizerJson()));
  await writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify(r1TokenizerConfig(), null, 2));
  const entries = quant?.entries ?? [...m.tensors].map(([name, t]) => ({ name, dtype: st, shape: t.shape, data: encodeWeights(dtype as WeightDtype, t.values) }));
  if (shards === 1) {
    await writeFile(path.join(dir, 'model.safetensors'), writeSafetensors(entries, { format: 'pt' }));
    return;
  }
  const weightMap: Record<string, string> = {};
  let total = 0;
  for (let i = 0; i < shards; i++) {
    const file = `model-${String(i + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = entries.filter((_, j) => j % shards === i);
    for (const e of part) {
      weightMap[e.name] = file;
      total += e.data.length;
    }
    await writeFile(path.join(dir, file), writeSafetensors(part, { format: 'pt' }));
  }
  await writeFile(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
}

/** Stored column k holds input feature order[k]: back to feature order. */
function unorderColumns(w: Float64Array, rows: number, cols: number, order: Uint32Array): Float64Array {
  const out = new Float64Array(w.length);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[r * cols + order[k]] = w[r * cols + k];
  return out;
}

/**
 * convert_hf_to_gguf.py's permute() (toGguf) and its inverse: stored row `unpermuteRow(D)(r)` holds
 * Hugging Face row r within each head.
 */
function reorderHeads<T extends Float32Array | Float64Array>(values: T, rows: number, cols: number, nHeads: number, toGguf: boolean): T {
  const stored = unpermuteRow(rows / nHeads);
  const out = new (values.constructor as new (n: number) => T)(values.length);
  for (let r = 0; r < rows; r++) {
    const [from, to] = toGguf ? [r, stored(r)] : [stored(r), r];
    out.set(values.subarray(from * cols, (from + 1) * cols), to * cols);
  }
  return out;
}

/** A seed per tensor name: every tensor gets its own random blocks (gate and up, layer 0 and 1 differ). */
function seedOf(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** llama.cpp's `enum llama_ftype`: what general.file_type says the file mostly holds. */
const LLAMA_FILE_TYPE: Record<string, number> = { f32: 0, f16: 1, q4_0: 2, q4_1: 3, q5_0: 8, q8_0: 7, bf16: 32, q4_k: 12, q5_k: 16, q6_k: 18, q4_k_m: 15, q5_k_m: 17, q3_k_m: 12, q2_k_m: 10, iq4_nl: 25, iq4_xs: 30,
  q5_1: 9, iq2_xxs: 19, iq2_xs: 20, iq3_xxs: 23, iq1_s: 24, iq3_s: 26, iq2_s: 28, iq1_m: 31, iq_mix: 29 };

function ggufContents(m: TestModel, dtype: TestModelType): { metadata: [string, GgufWriteValue][]; tensors: GgufWriteTensor[] } {
  if (!Object.hasOwn(LLAMA_FILE_TYPE, dtype)) throw new Error(`no GGUF test model of type ${dtype}`);
  const c = configFromHf(m.config);
  const arch = m.arch;
  const md: [string, GgufWriteValue][] = [
    ['general.architecture', { type: 'string', value: arch }],
    ['general.type', { type: 'string', value: 'model' }],
    ['general.name', { type: 'string', value: `R1 Distill test ${arch} ${dtype}` }],
    ['general.file_type', { type: 'u32', value: LLAMA_FILE_TYPE[dtype] }],
    ['general.quantization_version', { type: 'u32', value: 2 }],
    [`${arch}.block_count`, { type: 'u32', value: c.nLayers }],
    [`${arch}.context_length`, { type: 'u32', value: c.maxPositions }],
    [`${arch}.embedding_length`, { type: 'u32', value: c.hiddenSize }],
    [`${arch}.feed_forward_length`, { type: 'u32', value: c.ffnSize }],
    [`${arch}.attention.head_count`, { type: 'u32', value: c.nHeads }],
    [`${arch}.attention.head_count_kv`, { type: 'u32', value: c.nKvHeads }],
    [`${arch}.rope.freq_base`, { type: 'f32', value: c.ropeTheta }],
    [`${arch}.attention.layer_norm_rms_epsilon`, { type: 'f32', value: c.rmsEps }],
  ];
  if (arch === 'llama') {
    md.push([`llama.rope.dimension_count`, { type: 'u32', value: c.headDim }], ['llama.vocab_size', { type: 'u32', value: c.vocabSize }]);
  }
  if (arch === 'qwen3' && c.ropeScaling?.type === 'yarn') {
    md.push(
      ['qwen3.attention.key_length', { type: 'u32', value: c.headDim }],
      ['qwen3.attention.value_length', { type: 'u32', value: c.headDim }],
      ['qwen3.rope.scaling.type', { type: 'string', value: 'yarn' }],
      ['qwen3.rope.scaling.factor', { type: 'f32', value: c.ropeScaling.factor }],
      ['qwen3.rope.scaling.original_context_length', { type: 'u32', value: c.ropeScaling.originalMaxPositions }],
    );
  }
  md.push(...(c.vocabSize === SMALL_VOCAB ? smallGgufTokenizerMetadata() : r1GgufTokenizerMetadata(c.vocabSize)));

  const tensors: GgufWriteTensor[] = [];
  for (const [name, t] of m.tensors) {
    let values = t.values;
    if (arch === 'llama' && /self_attn\.[qk]_proj\.weight$/.test(name)) {
      values = reorderHeads(values, t.shape[0], t.shape[1], name.includes('q_proj') ? c.nHeads : c.nKvHeads, true);
    }
    // As llama.cpp: matrices in the file's type, vectors (norms, biases) in F32.
    const type = t.shape.length !== 2 ? 'f32' : isKMix(dtype) ? kMixType(name, dtype) : dtype;
    if (isCheckpointQuant(type)) throw new Error(`${type} is a safetensors checkpoint layout, not a GGUF type`);
    const data =
      (type === 'q2_k' || type === 'q3_k' || type.startsWith('iq')) && isKQuantDtype(type)
        ? randomKQuantBytes(type, t.shape[0], t.shape[1], new Rng(seedOf(name)))
        : type.endsWith('_k')
          ? quantizeKQuant(type as 'q4_k' | 'q5_k' | 'q6_k', values)
          : encodeWeights(type, values);
    tensors.push({ name: ggufNameOfHf(name)!, ggmlType: GGML_TYPE_ID[type], shape: t.shape, data });
  }
  if (c.ropeScaling?.type === 'llama3') {
    // llama.cpp stores llama3 scaling as per-frequency divisors of the plain inv_freq.
    const plain = ropeInvFreqs({ ...c, ropeScaling: null }).invFreq;
    const scaled = ropeInvFreqs(c).invFreq;
    const factors = Float32Array.from(plain, (f, i) => f / scaled[i]);
    tensors.push({ name: 'rope_freqs.weight', ggmlType: GGML_TYPE_ID.f32, shape: [factors.length], data: encodeWeights('f32', factors) });
  }
  return { metadata: md, tensors };
}

/**
 * The float64 reference model of a test-model file, with weights decoded from the file's own bytes
 * (after quantize-on-load's rounding when `quantize` is given).
 */
export async function referenceModel(file: string, quantize?: QuantizeMode): Promise<RefModel> {
  let config: ModelConfig;
  let entries: [string, TensorEntry][];
  let activationRounding: ActivationRounding | null = null;
  if (file.endsWith('.gguf')) {
    const g = await readGgufModel(await sourceFromPath(file), path.basename(file), filesFromDirectory(path.dirname(file)).open);
    entries = g.tensors.map((t) => [hfNameOfGguf(t.name)!, t]);
    const embed = entries.find(([n]) => n === 'model.embed_tokens.weight')![1];
    config = configFromGguf(g.metadata, embed.shape[0], entries.some(([n]) => n === 'lm_head.weight'));
  } else {
    const files = filesFromDirectory(file);
    const cfgSrc = (await files.open('config.json'))!;
    const json = JSON.parse(new TextDecoder().decode(await cfgSrc.read(0, cfgSrc.size)));
    config = configFromHf(json);
    const stored = (await readShardedSafetensors(files)).tensors.map((t): [string, TensorEntry] => [t.name, t]);
    entries = [...(await resolveQuantized(new Map(stored), quantSchemeOf(json)))];
    activationRounding = activationRoundingOf(json);
  }
  if (quantize) entries = [...quantizeOnLoad(new Map(entries), quantize)];
  const weights = new Map<string, Float64Array>();
  for (const [name, t] of entries) {
    if (typeof t.dtype !== 'string') throw new Error(`${name}: ${t.dtype.unsupported}`);
    const rows = t.shape.length === 2 ? t.shape[0] : 1;
    const cols = t.shape[t.shape.length - 1];
    let w = dequantizeRows(t.dtype, await t.source.read(t.offset, t.byteLength), rows, cols);
    if (t.columnOrder) w = unorderColumns(w, rows, cols, t.columnOrder);
    if (file.endsWith('.gguf') && config.arch === 'llama' && /self_attn\.[qk]_proj\.weight$/.test(name)) {
      w = reorderHeads(w, rows, cols, name.includes('q_proj') ? config.nHeads : config.nKvHeads, false);
    }
    weights.set(name, w);
  }
  const ref = new RefModel(config, weights);
  if (activationRounding) {
    const rounded = activationRounding.format === 'e4m3' ? 'f8e4m3_128' : 'i8_128';
    ref.activationRounding = { ...activationRounding, quantized: new Set(entries.filter(([, t]) => t.dtype === rounded).map(([n]) => n)) };
  }
  return ref;
}
