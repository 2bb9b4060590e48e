/**
 * The one normalized description of a model that every other module reads.
 * Architectures differ only by the flags below (see arch.ts); it is filled from a Hugging Face
 * config.json or from GGUF metadata.
 */
export type ArchName = 'qwen2' | 'llama' | 'qwen3';

export type RopeScaling =
  /** Position interpolation: every frequency divided by `factor` (transformers `_compute_linear_scaling_rope_parameters`). */
  | { type: 'linear'; factor: number }
  | {
      /** Llama 3.x frequency-dependent scaling (transformers `_compute_llama3_parameters`). */
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositions: number;
    }
  | {
      /** YaRN (transformers `_compute_yarn_parameters`). */
      type: 'yarn';
      factor: number;
      originalMaxPositions: number;
      betaFast: number;
      betaSlow: number;
      /** cos/sin multiplier; transformers' default is 0.1*ln(factor)+1. */
      attentionFactor: number;
      /** The correction range rounded out to whole pair indices (transformers' default). */
      truncate: boolean;
    };

export interface ModelConfig {
  arch: ArchName;
  hiddenSize: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  /** Explicit: Qwen3 does not derive it from hiddenSize / nHeads. */
  headDim: number;
  ffnSize: number;
  /** Rows of the embedding / LM head (may exceed the tokenizer's last id). */
  vocabSize: number;
  maxPositions: number;
  rmsEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  /** q/k/v projections carry biases (Qwen2). */
  qkvBias: boolean;
  /** Per-head RMSNorm of q and k before RoPE (Qwen3). */
  qkNorm: boolean;
  /** LM head shares the embedding matrix. */
  tieEmbeddings: boolean;
}
