import type { ArchName, ModelConfig } from '../../src/model/config.ts';
import { Rng } from './random.ts';

/**
 * Small random-weight models with the exact tensor names, shapes and settings of the DeepSeek
 * checkpoints (a Hugging Face config.json and its tensors), written out by test-model-files.ts.
 */
export type TestModelDims = Pick<ModelConfig, 'hiddenSize' | 'nLayers' | 'nHeads' | 'nKvHeads' | 'headDim' | 'ffnSize' | 'vocabSize'>;

/** The real Qwen2 vocabulary (151643 BPE ids + 22 added) padded as in R1-Distill-Qwen-1.5B. */
export const TINY_DIMS: TestModelDims = {
  hiddenSize: 64,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  headDim: 16,
  ffnSize: 128,
  vocabSize: 151_936,
};

export interface TestModel {
  arch: ArchName;
  /** config.json contents, as the real checkpoints write it. */
  config: Record<string, unknown>;
  /** Hugging Face name -> [shape, f32 values]. */
  tensors: Map<string, { shape: number[]; values: Float32Array }>;
}

export function makeTestModel(arch: ArchName, seed: number, dims: TestModelDims = TINY_DIMS): TestModel {
  const rng = new Rng(seed);
  const d = dims;
  const H = d.hiddenSize;
  const q = d.nHeads * d.headDim;
  const kv = d.nKvHeads * d.headDim;
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  const add = (name: string, shape: number[], values: Float32Array) => tensors.set(name, { shape, values });
  const matrix = (name: string, rows: number, cols: number, gain = 1) => add(name, [rows, cols], rng.normals(rows * cols, gain / Math.sqrt(cols)));
  // Norm weights near 1 (never exactly: a kernel that skipped them would go unnoticed).
  const norm = (name: string, n: number) => add(name, [n], Float32Array.from({ length: n }, () => 1 + 0.2 * rng.normal()));

  add('model.embed_tokens.weight', [d.vocabSize, H], rng.normals(d.vocabSize * H, 1));
  for (let i = 0; i < d.nLayers; i++) {
    const L = `model.layers.${i}.`;
    norm(L + 'input_layernorm.weight', H);
    matrix(L + 'self_attn.q_proj.weight', q, H, 2);
    matrix(L + 'self_attn.k_proj.weight', kv, H, 2);
    matrix(L + 'self_attn.v_proj.weight', kv, H);
    matrix(L + 'self_attn.o_proj.weight', H, q);
    if (arch === 'qwen2') {
      add(L + 'self_attn.q_proj.bias', [q], rng.normals(q, 0.5));
      add(L + 'self_attn.k_proj.bias', [kv], rng.normals(kv, 0.5));
      add(L + 'self_attn.v_proj.bias', [kv], rng.normals(kv, 0.5));
    }
    if (arch === 'qwen3') {
      norm(L + 'self_attn.q_norm.weight', d.headDim);
      norm(L + 'self_attn.k_norm.weight', d.headDim);
    }
    norm(L + 'post_attention_layernorm.weight', H);
    matrix(L + 'mlp.gate_proj.weight', d.ffnSize, H);
    matrix(L + 'mlp.up_proj.weight', d.ffnSize, H);
    matrix(L + 'mlp.down_proj.weight', H, d.ffnSize);
  }
  norm('model.norm.weight', H);
  // A large LM-head gain makes logits peaked (std ~6): greedy picks stay clear of near-ties, so
  // float32 and float64 agree on them.
  matrix('lm_head.weight', d.vocabSize, H, 6);
  return { arch, config: hfConfig(arch, d), tensors };
}

/** config.json of a checkpoint of this architecture and these dimensions, as the real ones write it. */
export function hfConfig(arch: ArchName, d: TestModelDims): Record<string, unknown> {
  const common = {
    hidden_act: 'silu',
    hidden_size: d.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: d.ffnSize,
    max_position_embeddings: 4096,
    num_attention_heads: d.nHeads,
    num_hidden_layers: d.nLayers,
    num_key_value_heads: d.nKvHeads,
    tie_word_embeddings: false,
    torch_dtype: 'bfloat16',
    transformers_version: '4.44.0',
    use_cache: true,
    vocab_size: d.vocabSize,
  };
  if (arch === 'qwen2') {
    // As in DeepSeek-R1-Distill-Qwen-1.5B's config.json.
    return {
      architectures: ['Qwen2ForCausalLM'],
      attention_dropout: 0,
      bos_token_id: 151643,
      eos_token_id: 151643,
      max_window_layers: 21,
      model_type: 'qwen2',
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
      sliding_window: 4096,
      use_sliding_window: false,
      use_mrope: false,
      ...common,
    };
  }
  if (arch === 'llama') {
    // As in DeepSeek-R1-Distill-Llama-8B's, with llama3 rope scaling.
    return {
      architectures: ['LlamaForCausalLM'],
      attention_bias: false,
      attention_dropout: 0,
      bos_token_id: 128000,
      eos_token_id: 128001,
      mlp_bias: false,
      model_type: 'llama',
      pretraining_tp: 1,
      rms_norm_eps: 1e-5,
      rope_scaling: { factor: 8, high_freq_factor: 4, low_freq_factor: 1, original_max_position_embeddings: 1024, rope_type: 'llama3' },
      rope_theta: 500000,
      ...common,
    };
  }
  // qwen3, as in DeepSeek-R1-0528-Qwen3-8B's: explicit head_dim, q/k norms, no biases.
  return {
    architectures: ['Qwen3ForCausalLM'],
    attention_bias: false,
    attention_dropout: 0,
    bos_token_id: 151643,
    eos_token_id: 151645,
    head_dim: d.headDim,
    model_type: 'qwen3',
    rms_norm_eps: 1e-6,
    rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 1024, attn_factor: 0.8782488562869419 },
    rope_theta: 1000000,
    sliding_window: null,
    use_sliding_window: false,
    ...common,
  };
}

/**
 * A model whose greedy output is a known token sequence, for deterministic UI and engine tests:
 * attention and MLP outputs are zeroed (o_proj = down_proj = 0), so the residual stream is the
 * token's embedding, and the LM head row of each chain token's successor points along that
 * embedding. Each `chain[i]` must be distinct; after `chain[i]` the model emits `chain[i + 1]`.
 */
export function makeScriptedModel(chain: number[], seed: number, dims: TestModelDims = TINY_DIMS): TestModel {
  if (new Set(chain).size !== chain.length) throw new Error('a scripted chain needs distinct tokens');
  const m = makeTestModel('qwen2', seed, dims);
  const H = dims.hiddenSize;
  for (const [name, t] of m.tensors) {
    if (/o_proj\.weight|down_proj\.weight/.test(name)) t.values.fill(0);
  }
  m.tensors.get('model.norm.weight')!.values.fill(1);
  const embed = m.tensors.get('model.embed_tokens.weight')!.values;
  const head = m.tensors.get('lm_head.weight')!.values;
  // Other rows small: the chain's logits (~16) stand far above them (~0.1) and each other (~2).
  for (let i = 0; i < head.length; i++) head[i] *= 0.01;
  for (let i = 0; i + 1 < chain.length; i++) {
    const e = embed.subarray(chain[i] * H, (chain[i] + 1) * H);
    const norm = Math.hypot(...e);
    const row = head.subarray(chain[i + 1] * H, (chain[i + 1] + 1) * H);
    for (let k = 0; k < H; k++) row[k] = (2 * e[k]) / norm;
  }
  return m;
}
