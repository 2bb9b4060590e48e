/**
 * Tensor names: the runtime uses Hugging Face names throughout; GGUF names are translated on load
 * (llama.cpp gguf-py TENSOR_NAMES, the `blk.N.*` scheme).
 */
const GGUF_TO_HF_GLOBAL: Record<string, string> = {
  'token_embd.weight': 'model.embed_tokens.weight',
  'output_norm.weight': 'model.norm.weight',
  'output.weight': 'lm_head.weight',
  'rope_freqs.weight': 'rope_freqs.weight',
};

const GGUF_TO_HF_LAYER: Record<string, string> = {
  attn_norm: 'input_layernorm',
  attn_q: 'self_attn.q_proj',
  attn_k: 'self_attn.k_proj',
  attn_v: 'self_attn.v_proj',
  attn_output: 'self_attn.o_proj',
  attn_q_norm: 'self_attn.q_norm',
  attn_k_norm: 'self_attn.k_norm',
  ffn_norm: 'post_attention_layernorm',
  ffn_gate: 'mlp.gate_proj',
  ffn_up: 'mlp.up_proj',
  ffn_down: 'mlp.down_proj',
};

/** The Hugging Face name of a GGUF tensor, or null for tensors the runtime does not use. */
export function hfNameOfGguf(name: string): string | null {
  if (name in GGUF_TO_HF_GLOBAL) return GGUF_TO_HF_GLOBAL[name];
  const m = name.match(/^blk\.(\d+)\.(\w+)\.(weight|bias)$/);
  if (!m || !(m[2] in GGUF_TO_HF_LAYER)) return null;
  return `model.layers.${m[1]}.${GGUF_TO_HF_LAYER[m[2]]}.${m[3]}`;
}

export function ggufNameOfHf(name: string): string | null {
  for (const [g, h] of Object.entries(GGUF_TO_HF_GLOBAL)) if (h === name) return g;
  const m = name.match(/^model\.layers\.(\d+)\.([\w.]+)\.(weight|bias)$/);
  if (!m) return null;
  const g = Object.entries(GGUF_TO_HF_LAYER).find(([, h]) => h === m[2]);
  return g ? `blk.${m[1]}.${g[0]}.${m[3]}` : null;
}

export const layerTensor = (i: number, part: string) => `model.layers.${i}.${part}`;

/**
 * GGUF llama Q/K: within each head, stored row 2j + t holds Hugging Face row t * (D/2) + j
 * (convert_hf_to_gguf.py `permute`). Returns, for each HF-order row, the stored row to read.
 */
export function unpermuteRow(headDim: number): (row: number) => number {
  const half = headDim / 2;
  return (row) => {
    const h = Math.floor(row / headDim);
    const i = row % headDim;
    return h * headDim + 2 * (i % half) + Math.floor(i / half);
  };
}
