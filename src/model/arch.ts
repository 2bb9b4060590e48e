import type { ArchName } from './config.ts';

/**
 * Everything that differs between the supported architectures, as data. The forward pass reads
 * only the resulting ModelConfig flags; nothing else in the runtime branches on the architecture.
 */
export interface ArchTraits {
  /** Hugging Face `model_type` values and GGUF `general.architecture` values that select it. */
  hfModelTypes: readonly string[];
  ggufNames: readonly string[];
  qkvBias: boolean;
  qkNorm: boolean;
  /**
   * llama.cpp's converter permutes llama Q/K rows so it can rotate adjacent pairs; the runtime
   * un-permutes them at load and always rotates halves, as Hugging Face does.
   */
  ggufQkPermuted: boolean;
}

export const ARCHITECTURES: Record<ArchName, ArchTraits> = {
  qwen2: { hfModelTypes: ['qwen2'], ggufNames: ['qwen2'], qkvBias: true, qkNorm: false, ggufQkPermuted: false },
  llama: { hfModelTypes: ['llama'], ggufNames: ['llama'], qkvBias: false, qkNorm: false, ggufQkPermuted: true },
  qwen3: { hfModelTypes: ['qwen3'], ggufNames: ['qwen3'], qkvBias: false, qkNorm: true, ggufQkPermuted: false },
};

/** The model is of a kind or has a setting this runtime does not implement. */
export class UnsupportedModelError extends Error {
  override name = 'UnsupportedModelError';
}

export function archFromName(name: string, kind: 'hf' | 'gguf'): ArchName {
  for (const [arch, traits] of Object.entries(ARCHITECTURES) as [ArchName, ArchTraits][]) {
    if ((kind === 'hf' ? traits.hfModelTypes : traits.ggufNames).includes(name)) return arch;
  }
  const known = Object.values(ARCHITECTURES).flatMap((t) => (kind === 'hf' ? t.hfModelTypes : t.ggufNames));
  throw new UnsupportedModelError(
    `architecture "${name}" is not supported (supported: ${known.join(', ')}). ` +
      'This runtime runs the DeepSeek-R1-Distill family: Qwen2, Llama 3 and Qwen3 models.',
  );
}
