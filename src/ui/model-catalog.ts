/**
 * The models the app suggests in its source box: the R1 distills as people download them. GGUF
 * Q4_K_M files (unsloth's conversions, the most downloaded) load as they are; DeepSeek's own
 * safetensors folders are BF16, about four times the bytes, and the "quantize while loading" option
 * brings them down to 4-bit or FP8 on the GPU. Sizes are the download, rounded.
 */
export interface CatalogEntry {
  /** What the source box takes: a Hugging Face repo id, or repo id / file for a GGUF. */
  source: string;
  label: string;
}

const gguf = (repo: string, model: string, size: string): CatalogEntry => ({
  source: `${repo}/${model}-Q4_K_M.gguf`,
  label: `${model}, GGUF Q4_K_M, about ${size}`,
});
const bf16 = (model: string, size: string): CatalogEntry => ({
  source: `deepseek-ai/${model}`,
  label: `${model}, safetensors BF16, about ${size} (quantize it while loading to fit)`,
});

export const MODEL_CATALOG: readonly CatalogEntry[] = [
  gguf('unsloth/DeepSeek-R1-Distill-Qwen-1.5B-GGUF', 'DeepSeek-R1-Distill-Qwen-1.5B', '1.1 GB'),
  gguf('unsloth/DeepSeek-R1-Distill-Qwen-7B-GGUF', 'DeepSeek-R1-Distill-Qwen-7B', '4.7 GB'),
  gguf('unsloth/DeepSeek-R1-Distill-Llama-8B-GGUF', 'DeepSeek-R1-Distill-Llama-8B', '4.9 GB'),
  gguf('unsloth/DeepSeek-R1-0528-Qwen3-8B-GGUF', 'DeepSeek-R1-0528-Qwen3-8B', '5 GB'),
  gguf('unsloth/DeepSeek-R1-Distill-Qwen-14B-GGUF', 'DeepSeek-R1-Distill-Qwen-14B', '9 GB'),
  bf16('DeepSeek-R1-Distill-Qwen-1.5B', '3.6 GB'),
  bf16('DeepSeek-R1-Distill-Qwen-7B', '15 GB'),
  bf16('DeepSeek-R1-Distill-Llama-8B', '16 GB'),
  bf16('DeepSeek-R1-0528-Qwen3-8B', '16 GB'),
];

/** The catalog as <option>s of a <datalist> (values and labels are plain text: no markup). */
export function catalogOptions(): string {
  return MODEL_CATALOG.map((e) => `<option value="${e.source}" label="${e.label}"></option>`).join('');
}
