/**
 * npm run quant-error: one random model (Qwen2 layout, 256-wide so every block type fits) written in
 * each weight format the runtime reads, run through the float64 reference forward pass on the
 * weights as each file stores them; prints a Markdown table of how far each format's logits fall
 * from the F32 file's. This is the format's own error: the GPU kernels' error on top of it is
 * bounded separately (e2e/engine.spec.ts: within 2e-3 of the largest logit of the same weights).
 */
import { DTYPE_LAYOUTS, type WeightDtype } from '../src/formats/dtypes.ts';
import type { QuantizeMode } from '../src/formats/quant/on-load.ts';
import { ensureTestModel, referenceModel, type TestModelSpec } from './lib/test-model-files.ts';

const PROMPT = [151646, 151644, 9707, 11, 1879, 0, 8908, 233, 2183, 151645, 151648, 198, 785, 1156, 1196];

interface Row {
  label: string;
  spec: TestModelSpec;
  quantize?: QuantizeMode;
  /** Which tensors the format quantizes, and to what. */
  what: string;
  linear: WeightDtype;
}

const base = { arch: 'qwen2', seed: 7, dims: 'k-quant' } as const;
const gguf = (dtype: TestModelSpec['dtype']): TestModelSpec => ({ ...base, format: 'gguf', dtype });
const st = (dtype: TestModelSpec['dtype']): TestModelSpec => ({ ...base, format: 'safetensors', dtype });

const ROWS: Row[] = [
  { label: 'GGUF F16', spec: gguf('f16'), what: 'every matrix', linear: 'f16' },
  { label: 'safetensors BF16', spec: st('bf16'), what: 'every tensor', linear: 'bf16' },
  { label: 'GGUF Q8_0', spec: gguf('q8_0'), what: 'every matrix', linear: 'q8_0' },
  { label: 'GGUF Q4_0', spec: gguf('q4_0'), what: 'every matrix', linear: 'q4_0' },
  { label: 'GGUF Q4_1', spec: gguf('q4_1'), what: 'every matrix', linear: 'q4_1' },
  { label: 'GGUF Q4_K_M', spec: gguf('q4_k_m'), what: 'Q4_K; Q6_K for attn_v, ffn_down, output', linear: 'q4_k' },
  { label: 'GGUF Q5_K_M', spec: gguf('q5_k_m'), what: 'Q5_K; Q6_K for attn_v, ffn_down, output', linear: 'q5_k' },
  { label: 'FP8 block (DeepSeek)', spec: st('fp8-block'), what: 'Linear layers, 128x128 scale blocks', linear: 'f8e4m3_128' },
  { label: 'FP8 channel (compressed-tensors)', spec: st('fp8-dynamic'), what: 'Linear layers, a scale per row', linear: 'f8e4m3_128' },
  { label: 'INT8 channel (compressed-tensors)', spec: st('w8a8-int8'), what: "Linear layers but layer 0's down_proj, a scale per row", linear: 'i8_128' },
  { label: 'GPTQ int4 g128 sym', spec: st('gptq'), what: 'Linear layers', linear: 'q4z_128' },
  { label: 'GPTQ int4 g32 asym act-order', spec: st('gptq-act'), what: 'Linear layers', linear: 'q4z_32' },
  { label: 'AWQ int4 g64', spec: st('awq'), what: 'Linear layers', linear: 'q4z_64' },
  { label: 'compressed-tensors W4A16 g128', spec: st('w4a16'), what: 'Linear layers', linear: 'q4z_128' },
  { label: 'GPTQ int8 g128 sym', spec: st('gptq-int8'), what: 'Linear layers', linear: 'q8z_128' },
  { label: 'compressed-tensors W8A16 channel', spec: st('w8a16'), what: 'Linear layers', linear: 'q8z_128' },
  { label: 'bitsandbytes NF4, double quant', spec: st('bnb-nf4'), what: "Linear layers but layer 1's down_proj", linear: 'nf4_64' },
  { label: 'bitsandbytes FP4', spec: st('bnb-fp4'), what: "Linear layers but layer 1's down_proj", linear: 'fp4_64' },
  { label: 'bitsandbytes LLM.int8', spec: st('bnb-int8'), what: "Linear layers but layer 1's down_proj; activations INT8 per token but for outliers (threshold 2)", linear: 'i8_128' },
  { label: 'MLX affine 4-bit g64', spec: st('mlx-4bit'), what: "all matrices but layer 1's o_proj; 8-bit g32, 6-bit g32, 3-bit g64, 5-bit g128 for four others", linear: 'q4ah_64' },
  { label: 'BF16, quantize on load q4', spec: st('bf16'), quantize: 'q4', what: 'Linear Q4_0; embedding, LM head Q8_0', linear: 'q4_0' },
  { label: 'BF16, quantize on load fp8', spec: st('bf16'), quantize: 'fp8', what: 'Linear FP8; embedding, LM head Q8_0', linear: 'f8e4m3_128' },
];

function softmax(row: Float64Array): Float64Array {
  const m = row.reduce((a, b) => Math.max(a, b), -Infinity);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

async function logits(spec: TestModelSpec, quantize?: QuantizeMode): Promise<Float64Array> {
  const ref = await referenceModel(await ensureTestModel(spec), quantize);
  return ref.forward(PROMPT);
}

const want = await logits(st('f32'));
const V = want.length / PROMPT.length;
const maxAbs = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const wantRows = PROMPT.map((_, t) => want.subarray(t * V, (t + 1) * V));
const wantP = wantRows.map(softmax);
const argmax = (r: Float64Array) => r.reduce((best, v, i) => (v > r[best] ? i : best), 0);

console.log(`| format | quantized | Linear bytes/weight on GPU | max abs logit error / max abs logit | mean KL(F32 ‖ format), nats | same top token |`);
console.log(`|---|---|---|---|---|---|`);
for (const row of ROWS) {
  const got = await logits(row.spec, row.quantize);
  let err = 0;
  let kl = 0;
  let same = 0;
  PROMPT.forEach((_, t) => {
    const g = got.subarray(t * V, (t + 1) * V);
    for (let v = 0; v < V; v++) err = Math.max(err, Math.abs(g[v] - wantRows[t][v]));
    const p = wantP[t];
    const q = softmax(g);
    for (let v = 0; v < V; v++) if (p[v] > 0) kl += p[v] * Math.log(p[v] / Math.max(q[v], 1e-300));
    if (argmax(g) === argmax(wantRows[t])) same++;
  });
  const { blockElems, blockBytes } = DTYPE_LAYOUTS[row.linear];
  console.log(
    `| ${row.label} | ${row.what} | ${(blockBytes / blockElems).toFixed(3)} | ${(err / maxAbs).toFixed(4)} | ${(kl / PROMPT.length).toFixed(4)} | ${same}/${PROMPT.length} |`,
  );
}
