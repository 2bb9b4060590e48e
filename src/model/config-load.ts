import { ARCHITECTURES, UnsupportedModelError, archFromName } from './arch.ts';
import type { ModelConfig, RopeScaling } from './config.ts';

/**
 * ModelConfig from a Hugging Face config.json or from GGUF metadata. Settings the runtime does not
 * implement are refused with a clear error, never guessed.
 */
type Json = Record<string, unknown>;

/** The RoPE base when a file names none: transformers' config classes and llama.cpp agree on it. */
const DEFAULT_ROPE_THETA = 10000;

function num(obj: Json, key: string, fallback?: number): number {
  const v = obj[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new UnsupportedModelError(`config.json has no "${key}"`);
  }
  throw new UnsupportedModelError(`config.json "${key}" should be a number, got ${JSON.stringify(v)}`);
}

export function configFromHf(json: Json): ModelConfig {
  const modelType = json.model_type;
  if (typeof modelType !== 'string') throw new UnsupportedModelError('config.json has no "model_type"');
  const arch = archFromName(modelType, 'hf');
  const traits = ARCHITECTURES[arch];
  const act = json.hidden_act ?? 'silu';
  if (act !== 'silu') throw new UnsupportedModelError(`hidden_act "${act}" is not supported (only silu)`);
  if (json.use_sliding_window === true) {
    throw new UnsupportedModelError('use_sliding_window is true: sliding-window attention is not supported');
  }
  if (json.attention_bias === true && arch !== 'qwen2') {
    throw new UnsupportedModelError(`attention_bias is true for a ${arch} model: projection biases are only supported as in Qwen2`);
  }
  if (json.mlp_bias === true) throw new UnsupportedModelError('mlp_bias is true: MLP biases are not supported');
  const hiddenSize = num(json, 'hidden_size');
  const nHeads = num(json, 'num_attention_heads');
  const maxPositions = num(json, 'max_position_embeddings', 4096);
  const rope = hfRope(json);
  return validate({
    arch,
    hiddenSize,
    nLayers: num(json, 'num_hidden_layers'),
    nHeads,
    nKvHeads: num(json, 'num_key_value_heads', nHeads),
    headDim: num(json, 'head_dim', hiddenSize / nHeads),
    ffnSize: num(json, 'intermediate_size'),
    vocabSize: num(json, 'vocab_size'),
    maxPositions,
    rmsEps: num(json, 'rms_norm_eps', 1e-6),
    ropeTheta: rope.theta,
    ropeScaling: hfRopeScaling(rope.scaling, maxPositions),
    qkvBias: traits.qkvBias,
    qkNorm: traits.qkNorm,
    tieEmbeddings: json.tie_word_embeddings === true,
  });
}

/**
 * The RoPE base and scaling block. transformers 5 writes both into `rope_parameters` (the base as
 * its `rope_theta`, top-level `rope_theta` gone or null); older configs have `rope_theta` and
 * `rope_scaling`, which transformers 5 still reads first. Models whose layer types rotate
 * differently key `rope_parameters` by the names in `layer_types`.
 */
function hfRope(json: Json): { theta: number; scaling: Json | null } {
  const legacy = (json.rope_scaling as Json | null | undefined) ?? null;
  const rp = json.rope_parameters;
  if (rp === undefined || rp === null) return { theta: num(json, 'rope_theta', DEFAULT_ROPE_THETA), scaling: legacy };
  const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(rp)) throw new UnsupportedModelError(`config.json "rope_parameters" should be an object, got ${JSON.stringify(rp)}`);
  let params = rp;
  const layerTypes = new Set(Array.isArray(json.layer_types) ? json.layer_types : []);
  const keys = Object.keys(rp);
  if (keys.length > 0 && keys.every((k) => layerTypes.has(k))) {
    const sets = Object.values(rp);
    if (!sets.every(isObject)) throw new UnsupportedModelError('config.json "rope_parameters" keyed by layer type should hold an object per type');
    if (new Set(sets.map(canonicalJson)).size > 1) {
      throw new UnsupportedModelError(`config.json "rope_parameters" differ between layer types (${keys.join(', ')}): not supported`);
    }
    params = sets[0];
  } else if (params.rope_type === undefined && params.type === undefined && Object.values(params).some(isObject)) {
    throw new UnsupportedModelError(`config.json "rope_parameters" (${keys.join(', ')}) is neither one set of parameters nor keyed by the layer_types`);
  }
  return { theta: num(params, 'rope_theta', num(json, 'rope_theta', DEFAULT_ROPE_THETA)), scaling: legacy ?? params };
}

/** JSON with object keys sorted: equal parameters written in another order compare equal. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Json)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** transformers' get_mscale: YaRN's attention factor for a context `scale` times longer. */
function yarnMscale(scale: number, mscale = 1): number {
  return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
}

function hfRopeScaling(rs: Json | null, maxPositions: number): RopeScaling | null {
  if (!rs) return null;
  const type = (rs.rope_type ?? rs.type) as string | undefined;
  if (type === undefined || type === 'default') return null;
  if (type === 'linear') return { type, factor: num(rs, 'factor') };
  if (type === 'llama3') {
    return {
      type,
      factor: num(rs, 'factor'),
      lowFreqFactor: num(rs, 'low_freq_factor'),
      highFreqFactor: num(rs, 'high_freq_factor'),
      originalMaxPositions: num(rs, 'original_max_position_embeddings'),
    };
  }
  if (type === 'yarn') {
    // As transformers' _compute_yarn_parameters: the factor defaults to the ratio of the two context
    // lengths; attention_factor, else mscale / mscale_all_dim, else get_mscale(factor). It ignores
    // attn_factor, and so does this runtime (docs/numerics.md).
    const originalMaxPositions = num(rs, 'original_max_position_embeddings', maxPositions);
    const factor = num(rs, 'factor', maxPositions / originalMaxPositions);
    const mscale = num(rs, 'mscale', 0);
    const mscaleAllDim = num(rs, 'mscale_all_dim', 0);
    const truncate = rs.truncate ?? true;
    if (typeof truncate !== 'boolean') throw new UnsupportedModelError(`rope scaling "truncate" should be true or false, got ${JSON.stringify(truncate)}`);
    return {
      type,
      factor,
      originalMaxPositions,
      // Python's `or`: 0 takes the default too.
      betaFast: num(rs, 'beta_fast', 0) || 32,
      betaSlow: num(rs, 'beta_slow', 0) || 1,
      attentionFactor: num(rs, 'attention_factor', mscale && mscaleAllDim ? yarnMscale(factor, mscale) / yarnMscale(factor, mscaleAllDim) : yarnMscale(factor)),
      truncate,
    };
  }
  throw new UnsupportedModelError(`rope_scaling type "${type}" is not supported (supported: linear, llama3, yarn)`);
}

/** GGUF metadata values as the GGUF reader returns them (numbers may arrive as bigint). */
export type MetadataMap = ReadonlyMap<string, unknown>;

function mdNum(md: MetadataMap, key: string, fallback?: number): number {
  const v = md.get(key);
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v === undefined && fallback !== undefined) return fallback;
  throw new UnsupportedModelError(`GGUF metadata "${key}" is ${v === undefined ? 'missing' : `not a number (${String(v)})`}`);
}

/** `vocabRows`: rows of token_embd (GGUF has no vocab_size key for qwen2). */
export function configFromGguf(md: MetadataMap, vocabRows: number, hasOutputTensor: boolean): ModelConfig {
  const name = md.get('general.architecture');
  if (typeof name !== 'string') throw new UnsupportedModelError('GGUF metadata has no general.architecture');
  const arch = archFromName(name, 'gguf');
  const traits = ARCHITECTURES[arch];
  const k = (key: string) => `${name}.${key}`;
  const hiddenSize = mdNum(md, k('embedding_length'));
  const nHeads = mdNum(md, k('attention.head_count'));
  const scalingType = md.get(k('rope.scaling.type'));
  let ropeScaling: RopeScaling | null = null;
  if (scalingType === 'yarn') {
    const factor = mdNum(md, k('rope.scaling.factor'));
    ropeScaling = {
      type: 'yarn',
      factor,
      // llama.cpp falls back to the training context.
      originalMaxPositions: mdNum(md, k('rope.scaling.original_context_length'), mdNum(md, k('context_length'), 4096)),
      betaFast: mdNum(md, k('rope.scaling.yarn_beta_fast'), 32),
      betaSlow: mdNum(md, k('rope.scaling.yarn_beta_slow'), 1),
      attentionFactor: yarnMscale(factor),
      truncate: true,
    };
  } else if (scalingType === 'linear') {
    // llama.cpp's rope_freq_scale is 1 / factor: positions slowed, as transformers' linear scaling.
    ropeScaling = { type: 'linear', factor: mdNum(md, k('rope.scaling.factor')) };
  } else if (scalingType !== undefined && scalingType !== 'none') {
    throw new UnsupportedModelError(`GGUF rope scaling type "${String(scalingType)}" is not supported`);
  }
  return validate({
    arch,
    hiddenSize,
    nLayers: mdNum(md, k('block_count')),
    nHeads,
    nKvHeads: mdNum(md, k('attention.head_count_kv'), nHeads),
    headDim: mdNum(md, k('attention.key_length'), hiddenSize / nHeads),
    ffnSize: mdNum(md, k('feed_forward_length')),
    vocabSize: mdNum(md, k('vocab_size'), vocabRows),
    maxPositions: mdNum(md, k('context_length'), 4096),
    rmsEps: mdNum(md, k('attention.layer_norm_rms_epsilon'), 1e-6),
    ropeTheta: mdNum(md, k('rope.freq_base'), DEFAULT_ROPE_THETA),
    // llama3 scaling reaches GGUF as the rope_freqs.weight tensor, applied by the weight loader.
    ropeScaling,
    qkvBias: traits.qkvBias,
    qkNorm: traits.qkNorm,
    tieEmbeddings: !hasOutputTensor,
  });
}

function validate(c: ModelConfig): ModelConfig {
  const ints: (keyof ModelConfig)[] = ['hiddenSize', 'nLayers', 'nHeads', 'nKvHeads', 'headDim', 'ffnSize', 'vocabSize', 'maxPositions'];
  for (const key of ints) {
    const v = c[key] as number;
    if (!Number.isInteger(v) || v <= 0) throw new UnsupportedModelError(`model setting ${key} = ${v} is not a positive integer`);
  }
  if (c.nHeads % c.nKvHeads !== 0) {
    throw new UnsupportedModelError(`${c.nHeads} attention heads cannot be grouped over ${c.nKvHeads} key/value heads`);
  }
  if (c.headDim % 4 !== 0 || c.headDim > 256) throw new UnsupportedModelError(`head_dim ${c.headDim} is not supported (a multiple of 4, at most 256)`);
  if (!(c.rmsEps > 0) || !(c.ropeTheta > 0)) throw new UnsupportedModelError('rms_norm_eps and rope_theta must be positive');
  return c;
}
