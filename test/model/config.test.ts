import { describe, expect, it } from 'vitest';
import { ropeInvFreqs } from '../../src/model/rope-freqs.ts';
import { UnsupportedModelError } from '../../src/model/arch.ts';
import { configFromGguf, configFromHf } from '../../src/model/config-load.ts';
import { ggufNameOfHf, hfNameOfGguf, unpermuteRow } from '../../src/model/tensor-names.ts';


// The settings of the real checkpoints' config.json files (R1-Distill-Qwen-1.5B, -Llama-8B, R1-0528-Qwen3-8B).
const QWEN2_1_5B = {
  architectures: ['Qwen2ForCausalLM'], hidden_act: 'silu', hidden_size: 1536, intermediate_size: 8960,
  max_position_embeddings: 131072, model_type: 'qwen2', num_attention_heads: 12, num_hidden_layers: 28,
  num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: false,
  use_sliding_window: false, sliding_window: 4096, vocab_size: 151936,
};
const LLAMA_8B = {
  architectures: ['LlamaForCausalLM'], attention_bias: false, hidden_act: 'silu', hidden_size: 4096,
  intermediate_size: 14336, max_position_embeddings: 131072, mlp_bias: false, model_type: 'llama',
  num_attention_heads: 32, num_hidden_layers: 32, num_key_value_heads: 8, rms_norm_eps: 1e-5,
  rope_scaling: { factor: 8, high_freq_factor: 4, low_freq_factor: 1, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  rope_theta: 500000, tie_word_embeddings: false, vocab_size: 128256,
};
const QWEN3_8B = {
  architectures: ['Qwen3ForCausalLM'], attention_bias: false, head_dim: 128, hidden_act: 'silu', hidden_size: 4096,
  intermediate_size: 12288, max_position_embeddings: 131072, model_type: 'qwen3', num_attention_heads: 32,
  num_hidden_layers: 36, num_key_value_heads: 8, rms_norm_eps: 1e-6,
  rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32768, attn_factor: 0.8782488562869419 },
  rope_theta: 1000000, tie_word_embeddings: false, use_sliding_window: false, vocab_size: 151936,
};

describe('config.json', () => {
  it('reads the Qwen2 distill: biases, no q/k norm, head dim from hidden / heads', () => {
    const c = configFromHf(QWEN2_1_5B);
    expect(c).toMatchObject({ arch: 'qwen2', hiddenSize: 1536, nLayers: 28, nHeads: 12, nKvHeads: 2, headDim: 128, ffnSize: 8960, qkvBias: true, qkNorm: false, ropeScaling: null, tieEmbeddings: false });
  });
  it('reads Llama 3 rope scaling', () => {
    const c = configFromHf(LLAMA_8B);
    expect(c.ropeScaling).toEqual({ type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
    expect(c).toMatchObject({ arch: 'llama', qkvBias: false, rmsEps: 1e-5, ropeTheta: 500000 });
  });
  it('reads Qwen3: explicit head_dim, q/k norms, YaRN with transformers default attention factor', () => {
    const c = configFromHf(QWEN3_8B);
    expect(c).toMatchObject({ arch: 'qwen3', headDim: 128, qkNorm: true, qkvBias: false });
    expect(c.ropeScaling).toMatchObject({ type: 'yarn', factor: 4, originalMaxPositions: 32768, betaFast: 32, betaSlow: 1 });
    // transformers ignores attn_factor and uses 0.1 ln(factor) + 1.
    expect(c.ropeScaling?.type === 'yarn' && c.ropeScaling.attentionFactor).toBeCloseTo(0.1 * Math.log(4) + 1, 12);
  });
  it('reads transformers 5 configs: the base and scaling in rope_parameters, rope_theta gone or null', () => {
    const { rope_theta: _t, rope_scaling: scaling, ...v4 } = LLAMA_8B;
    const v5 = { ...v4, rope_theta: null, rope_parameters: { ...scaling, rope_theta: 500000 } };
    expect(configFromHf(v5)).toEqual(configFromHf(LLAMA_8B));
    const qwen = { ...QWEN2_1_5B, rope_theta: undefined, rope_parameters: { rope_type: 'default', rope_theta: 1e6 } };
    expect(configFromHf(qwen)).toMatchObject({ ropeTheta: 1e6, ropeScaling: null });
    // Keyed by the layer_types: one set of parameters for all (in any key order) is fine, different ones are refused.
    const layer_types = ['full_attention', 'sliding_attention'];
    const same = { ...qwen, layer_types, rope_parameters: { full_attention: { rope_type: 'default', rope_theta: 1e6 }, sliding_attention: { rope_theta: 1e6, rope_type: 'default' } } };
    expect(configFromHf(same).ropeTheta).toBe(1e6);
    const mixed = { ...qwen, layer_types, rope_parameters: { full_attention: { rope_type: 'default', rope_theta: 1e6 }, sliding_attention: { rope_type: 'default', rope_theta: 1e4 } } };
    expect(() => configFromHf(mixed)).toThrow(/"rope_parameters" differ between layer types \(full_attention, sliding_attention\)/);
    // Nested without layer_types to say so: refused, not read as the default rotation.
    expect(() => configFromHf({ ...qwen, rope_parameters: same.rope_parameters })).toThrow(/neither one set of parameters nor keyed by the layer_types/);
    // A legacy rope_scaling is read first, as transformers 5 does.
    const both = { ...v5, rope_scaling: scaling, rope_parameters: { rope_type: 'default', rope_theta: 500000 } };
    expect(configFromHf(both)).toEqual(configFromHf(LLAMA_8B));
  });
  it('YaRN as transformers computes it: factor from the context lengths when absent, mscale ratios, truncate', () => {
    const yarn = (rs: Record<string, unknown>) => {
      const s = configFromHf({ ...QWEN3_8B, rope_scaling: { rope_type: 'yarn', original_max_position_embeddings: 32768, ...rs } }).ropeScaling;
      if (s?.type !== 'yarn') throw new Error('not yarn');
      return s;
    };
    expect(yarn({}).factor).toBe(4); // 131072 / 32768
    expect(yarn({ factor: 4, mscale: 0.707, mscale_all_dim: 0.707 }).attentionFactor).toBeCloseTo(1, 15);
    expect(yarn({ factor: 4, mscale: 1, mscale_all_dim: 0.5 }).attentionFactor).toBeCloseTo((0.1 * Math.log(4) + 1) / (0.05 * Math.log(4) + 1), 15);
    expect(yarn({ factor: 4, attention_factor: 0.9, mscale: 1, mscale_all_dim: 0.5 }).attentionFactor).toBe(0.9);
    expect(yarn({ factor: 0.5 }).attentionFactor).toBe(1);
    expect(yarn({ factor: 4 }).truncate).toBe(true);
    expect(yarn({ factor: 4, truncate: false }).truncate).toBe(false);
    expect(() => yarn({ factor: 4, truncate: 'no' })).toThrow(/"truncate" should be true or false/);
  });
  it('reads linear rope scaling (position interpolation): every frequency divided by the factor', () => {
    const c = configFromHf({ ...QWEN2_1_5B, rope_scaling: { type: 'linear', factor: 4 } });
    expect(c.ropeScaling).toEqual({ type: 'linear', factor: 4 });
    const plain = ropeInvFreqs({ ...c, ropeScaling: null }).invFreq;
    expect(Array.from(ropeInvFreqs(c).invFreq)).toEqual(Array.from(plain, (f) => f / 4));
  });

  it('refuses what it cannot run, naming the setting', () => {
    expect(() => configFromHf({ ...QWEN2_1_5B, model_type: 'mistral' })).toThrow(/architecture "mistral" is not supported/);
    expect(() => configFromHf({ ...QWEN2_1_5B, use_sliding_window: true })).toThrow(/sliding-window/);
    expect(() => configFromHf({ ...LLAMA_8B, rope_scaling: { rope_type: 'longrope', factor: 2 } })).toThrow(/"longrope" is not supported/);
    expect(() => configFromHf({ ...QWEN2_1_5B, hidden_act: 'gelu' })).toThrow(UnsupportedModelError);
    expect(() => configFromHf({ ...QWEN2_1_5B, num_key_value_heads: 5 })).toThrow(/cannot be grouped/);
    const { hidden_size: _h, ...noHidden } = QWEN2_1_5B;
    expect(() => configFromHf(noHidden)).toThrow(/no "hidden_size"/);
  });
});

describe('GGUF metadata', () => {
  const md = new Map<string, unknown>([
    ['general.architecture', 'qwen2'],
    ['qwen2.block_count', 28],
    ['qwen2.context_length', 131072],
    ['qwen2.embedding_length', 1536],
    ['qwen2.feed_forward_length', 8960],
    ['qwen2.attention.head_count', 12],
    ['qwen2.attention.head_count_kv', 2],
    ['qwen2.rope.freq_base', 10000],
    ['qwen2.attention.layer_norm_rms_epsilon', 1e-6],
  ]);
  it('maps the qwen2 keys and takes the vocabulary from token_embd', () => {
    expect(configFromGguf(md, 151936, true)).toMatchObject({ arch: 'qwen2', hiddenSize: 1536, nLayers: 28, nHeads: 12, nKvHeads: 2, headDim: 128, vocabSize: 151936, tieEmbeddings: false });
    expect(configFromGguf(md, 151936, false).tieEmbeddings).toBe(true);
  });
  it('names a missing key', () => {
    const m = new Map(md);
    m.delete('qwen2.block_count');
    expect(() => configFromGguf(m, 151936, true)).toThrow(/"qwen2.block_count" is missing/);
  });
  it('reads linear rope scaling as llama.cpp writes it', () => {
    const m = new Map([...md, ['qwen2.rope.scaling.type', 'linear'], ['qwen2.rope.scaling.factor', 2]]);
    expect(configFromGguf(m, 151936, true).ropeScaling).toEqual({ type: 'linear', factor: 2 });
    m.set('qwen2.rope.scaling.type', 'longrope');
    expect(() => configFromGguf(m, 151936, true)).toThrow(/GGUF rope scaling type "longrope" is not supported/);
  });
  it('accepts bigint counts', () => {
    const m = new Map(md);
    m.set('qwen2.block_count', 28n);
    expect(configFromGguf(m, 151936, true).nLayers).toBe(28);
  });
});

describe('tensor names and the llama Q/K permutation', () => {
  it('translates GGUF names both ways', () => {
    expect(hfNameOfGguf('blk.3.attn_q.bias')).toBe('model.layers.3.self_attn.q_proj.bias');
    expect(hfNameOfGguf('blk.0.ffn_down.weight')).toBe('model.layers.0.mlp.down_proj.weight');
    expect(hfNameOfGguf('token_embd.weight')).toBe('model.embed_tokens.weight');
    expect(hfNameOfGguf('blk.0.unknown.weight')).toBeNull();
    expect(ggufNameOfHf('model.layers.12.self_attn.k_norm.weight')).toBe('blk.12.attn_k_norm.weight');
  });
  it('undoes convert_hf_to_gguf permute(): stored row 2j+t holds HF row t*D/2+j', () => {
    const D = 8;
    const nHeads = 2;
    // The converter's permute, written out: reshape(n_head, 2, D/2) -> swapaxes(1, 2).
    const stored: number[] = [];
    for (let h = 0; h < nHeads; h++) for (let j = 0; j < D / 2; j++) for (let t = 0; t < 2; t++) stored.push(h * D + t * (D / 2) + j);
    const src = unpermuteRow(D);
    for (let r = 0; r < nHeads * D; r++) expect(stored[src(r)]).toBe(r);
  });
});
