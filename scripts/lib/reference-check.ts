import type { QuantizeMode } from '../../src/formats/quant/on-load.ts';
import type { RefModel } from '../../src/ref/forward.ts';
import { toSmallVocab } from './r1-tokenizer.ts';
import type { TestModelSpec } from './test-model-files.ts';

/**
 * The engine-against-reference logits check, shared by the browser tests (e2e/engine.spec.ts, in
 * Chromium) and the GPU kit (scripts/gpu/check.ts, in Node on Dawn): a chunked prefill of 11 tokens
 * then 4 single-token decode steps; at each, the engine's logits against the float64 reference's.
 * The check models have the small vocabulary (TestModelSpec.vocab): what they test is each format's
 * numerics, and on a CPU adapter R1's 151936-row head would take most of the time.
 */

/** A templated R1 prompt's ids (BOS, <｜User｜>, text, <｜Assistant｜>, <think>, "\n", text), for models with R1's vocabulary. */
export const R1_PROMPT = [151646, 151644, 9707, 11, 1879, 0, 8908, 233, 2183, 151645, 151648, 198, 785, 1156, 1196];
/** The same prompt in the check models' small vocabulary. */
export const CHECK_PROMPT = toSmallVocab(R1_PROMPT);
/** Prefix lengths whose last-position logits are compared. */
export const CHECK_UP_TO = [11, 12, 13, 14, 15];
/** Prefill chunk of the check: 11 tokens run as a full chunk and a tail. */
export const CHECK_PREFILL_CHUNK = 8;
/**
 * Logits within 2e-3 of the largest |logit| (f32 GPU vs f64 reference on identical decoded weights,
 * through 2 layers and the head) and the same greedy pick.
 */
export const LOGIT_TOL = 2e-3;

/** Every format the engine reads, each on its test model. */
export const CHECK_MODELS: TestModelSpec[] = [
  { arch: 'qwen2', format: 'gguf', dtype: 'q8_0', vocab: 'small' },
  { arch: 'qwen2', format: 'gguf', dtype: 'q4_0', vocab: 'small' },
  { arch: 'qwen2', format: 'safetensors', dtype: 'bf16', vocab: 'small' },
  { arch: 'llama', format: 'gguf', dtype: 'f16', vocab: 'small' },
  { arch: 'llama', format: 'safetensors', dtype: 'f32', vocab: 'small' },
  { arch: 'qwen3', format: 'gguf', dtype: 'f32', vocab: 'small' },
  { arch: 'qwen3', format: 'safetensors', dtype: 'f16', vocab: 'small' },
  { arch: 'qwen2', format: 'gguf', dtype: 'q4_k_m', vocab: 'small' },
  { arch: 'llama', format: 'gguf', dtype: 'q4_k_m', vocab: 'small' },
  { arch: 'qwen3', format: 'gguf', dtype: 'q5_k_m', vocab: 'small' },
  { arch: 'qwen2', format: 'gguf', dtype: 'q3_k_m', vocab: 'small' },
  { arch: 'qwen3', format: 'gguf', dtype: 'q2_k_m', vocab: 'small' },
  { arch: 'llama', format: 'gguf', dtype: 'iq4_xs', vocab: 'small' },
  { arch: 'qwen2', format: 'gguf', dtype: 'iq4_nl', vocab: 'small' },
  { arch: 'qwen2', format: 'gguf', dtype: 'q4_1', vocab: 'small' },
  { arch: 'llama', format: 'gguf', dtype: 'q5_0', vocab: 'small' },
  { arch: 'qwen2', format: 'gguf', dtype: 'iq_mix', vocab: 'small' },
  // Safetensors checkpoints with their own quantization (repacked by row at load).
  { arch: 'qwen2', format: 'safetensors', dtype: 'fp8-block', vocab: 'small' },
  { arch: 'llama', format: 'safetensors', dtype: 'fp8-dynamic', vocab: 'small' },
  { arch: 'qwen3', format: 'safetensors', dtype: 'w8a8-int8', vocab: 'small' },
  { arch: 'qwen2', format: 'safetensors', dtype: 'gptq', vocab: 'small' },
  { arch: 'qwen3', format: 'safetensors', dtype: 'gptq-act', vocab: 'small' },
  { arch: 'llama', format: 'safetensors', dtype: 'awq', vocab: 'small' },
  { arch: 'qwen2', format: 'safetensors', dtype: 'w4a16', vocab: 'small' },
  { arch: 'llama', format: 'safetensors', dtype: 'gptq-int8', vocab: 'small' },
  { arch: 'qwen3', format: 'safetensors', dtype: 'w8a16', vocab: 'small' },
  { arch: 'llama', format: 'safetensors', dtype: 'bnb-nf4', vocab: 'small' },
  { arch: 'qwen3', format: 'safetensors', dtype: 'bnb-fp4', vocab: 'small' },
  { arch: 'qwen2', format: 'safetensors', dtype: 'bnb-int8', vocab: 'small' },
  { arch: 'qwen2', format: 'safetensors', dtype: 'mlx-4bit', vocab: 'small' },
];

/** Float checkpoints quantized while they load. */
export const CHECK_QUANTIZE_ON_LOAD: [TestModelSpec, QuantizeMode][] = [
  [{ arch: 'qwen2', format: 'safetensors', dtype: 'bf16', dims: 'quant', vocab: 'small' }, 'q4'],
  [{ arch: 'llama', format: 'safetensors', dtype: 'f16', dims: 'quant', vocab: 'small' }, 'fp8'],
];

/** The reference's logits at each of CHECK_UP_TO, computed as the engine runs: prefill, then one token at a time. */
export function referenceRows(ref: RefModel, upTo: readonly number[] = CHECK_UP_TO): Float64Array[] {
  if (upTo.some((n, i) => i > 0 && n !== upTo[i - 1] + 1)) throw new RangeError(`reference rows are taken at consecutive lengths, not ${upTo}`);
  ref.reset();
  const V = ref.config.vocabSize;
  const first = upTo[0];
  const rows = [Float64Array.from(ref.forward(CHECK_PROMPT.slice(0, first)).subarray((first - 1) * V))];
  for (const id of CHECK_PROMPT.slice(first, upTo.at(-1))) rows.push(Float64Array.from(ref.forward([id])));
  return rows;
}

export interface RowAgreement {
  /** Tokens in context when these logits were taken. */
  upTo: number;
  /** max |got - want| / max |want| */
  relDiff: number;
  pick: number;
  refPick: number;
}

/** How closely each row of `got` follows the reference row of the same index. */
export function compareRows(got: ArrayLike<number>[], want: ArrayLike<number>[], upTo: readonly number[] = CHECK_UP_TO): RowAgreement[] {
  return want.map((w, i) => {
    const g = got[i];
    let maxAbs = 0;
    let maxDiff = 0;
    let pick = 0;
    let refPick = 0;
    for (let v = 0; v < w.length; v++) {
      maxAbs = Math.max(maxAbs, Math.abs(w[v]));
      // NaN must fail: Math.max would drop it.
      const d = Math.abs(g[v] - w[v]);
      maxDiff = Number.isNaN(d) ? Infinity : Math.max(maxDiff, d);
      if (g[v] > g[pick]) pick = v;
      if (w[v] > w[refPick]) refPick = v;
    }
    return { upTo: upTo[i], relDiff: maxDiff / maxAbs, pick, refPick };
  });
}

/** True when every row is within LOGIT_TOL and picks the reference's token. */
export const rowsAgree = (rows: RowAgreement[]) => rows.every((r) => r.relDiff < LOGIT_TOL && r.pick === r.refPick);
