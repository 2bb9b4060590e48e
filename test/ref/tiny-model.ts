import type { ModelConfig } from '../../src/model/config.ts';

/** Deterministic normal samples (mulberry32 + Box-Muller), so every run sees the same model. */
export function normals(seed: number, n: number, std = 1): Float64Array {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return Float64Array.from({ length: n }, () => std * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

/** A two-layer model small enough for float64 loops, shaped like the named architecture. */
export function tinyConfig(arch: ModelConfig['arch'], over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    arch,
    hiddenSize: 16,
    nLayers: 2,
    nHeads: 4,
    nKvHeads: 2,
    // Qwen3's head_dim is not hiddenSize / nHeads.
    headDim: arch === 'qwen3' ? 6 : 4,
    ffnSize: 24,
    vocabSize: 32,
    maxPositions: 64,
    rmsEps: 1e-6,
    ropeTheta: arch === 'qwen3' ? 1e6 : 10000,
    ropeScaling: null,
    qkvBias: arch === 'qwen2',
    qkNorm: arch === 'qwen3',
    tieEmbeddings: false,
    ...over,
  };
}

/** Random weights for every tensor the config needs, by Hugging Face name. */
export function tinyWeights(c: ModelConfig, seed = 1): Map<string, Float64Array> {
  const { hiddenSize: H, nHeads: nH, nKvHeads: nKv, headDim: D, ffnSize: I, vocabSize: V } = c;
  const w = new Map<string, Float64Array>();
  let n = seed * 1000;
  // Norm weights near 1 and projections scaled by 1/sqrt(fan-in) keep activations unit-sized.
  const norm = (name: string, size: number) => w.set(name, normals(n++, size, 0.2).map((v) => 1 + v));
  const linear = (name: string, rows: number, cols: number) => w.set(name, normals(n++, rows * cols, 1 / Math.sqrt(cols)));
  linear('model.embed_tokens.weight', V, H);
  for (let i = 0; i < c.nLayers; i++) {
    const p = `model.layers.${i}.`;
    norm(`${p}input_layernorm.weight`, H);
    linear(`${p}self_attn.q_proj.weight`, nH * D, H);
    linear(`${p}self_attn.k_proj.weight`, nKv * D, H);
    linear(`${p}self_attn.v_proj.weight`, nKv * D, H);
    if (c.qkvBias) {
      w.set(`${p}self_attn.q_proj.bias`, normals(n++, nH * D, 0.5));
      w.set(`${p}self_attn.k_proj.bias`, normals(n++, nKv * D, 0.5));
      w.set(`${p}self_attn.v_proj.bias`, normals(n++, nKv * D, 0.5));
    }
    if (c.qkNorm) {
      norm(`${p}self_attn.q_norm.weight`, D);
      norm(`${p}self_attn.k_norm.weight`, D);
    }
    linear(`${p}self_attn.o_proj.weight`, H, nH * D);
    norm(`${p}post_attention_layernorm.weight`, H);
    linear(`${p}mlp.gate_proj.weight`, I, H);
    linear(`${p}mlp.up_proj.weight`, I, H);
    linear(`${p}mlp.down_proj.weight`, H, I);
  }
  norm('model.norm.weight', H);
  if (!c.tieEmbeddings) linear('lm_head.weight', V, H);
  return w;
}

/** Largest absolute difference between two arrays of the same length. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
