import { f16BitsToF32, f32ToF16Bits } from '../formats/numeric.ts';
import type { ActivationRounding } from '../formats/quant/scheme.ts';
import type { ModelConfig } from '../model/config.ts';
import { ropeInvFreqs } from '../model/rope-freqs.ts';
import { add, attention, embed, matmul, rmsNorm, rope, roundActivations, swiglu } from './ops.ts';

/**
 * Intermediates a RefHook sees, per layer in computing order:
 * 'attn_norm' [T, H]; 'q' [T, nH*D] and 'k' [T, nKv*D] after bias, q/k norm and RoPE;
 * 'v' [T, nKv*D]; 'attn' [T, nH*D] attention output before o_proj; 'attn_out' [T, H] o_proj;
 * 'ffn_norm' [T, H]; 'ffn_act' [T, I] silu(gate)*up; 'ffn_out' [T, H] down_proj;
 * 'resid' [T, H] the residual stream leaving the layer. Then 'final_norm' [T, H] with
 * layer = nLayers.
 */
export type RefTap =
  | 'attn_norm' | 'q' | 'k' | 'v' | 'attn' | 'attn_out'
  | 'ffn_norm' | 'ffn_act' | 'ffn_out' | 'resid' | 'final_norm';

/** Reads an intermediate; `value` belongs to the model and must not be modified. */
export type RefHook = (layer: number, name: RefTap, value: Float64Array) => void;

interface LayerWeights {
  attnNorm: Float64Array; // [H]
  wq: Float64Array; //       [nH*D, H]
  wk: Float64Array; //       [nKv*D, H]
  wv: Float64Array; //       [nKv*D, H]
  bq?: Float64Array; //      [nH*D]   (qkvBias)
  bk?: Float64Array; //      [nKv*D]  (qkvBias)
  bv?: Float64Array; //      [nKv*D]  (qkvBias)
  qNorm?: Float64Array; //   [D]      (qkNorm)
  kNorm?: Float64Array; //   [D]      (qkNorm)
  wo: Float64Array; //       [H, nH*D]
  ffnNorm: Float64Array; //  [H]
  gate: Float64Array; //     [I, H]
  up: Float64Array; //       [I, H]
  down: Float64Array; //     [H, I]
}

/**
 * The float64 reference forward pass (Hugging Face transformers semantics for Qwen2, Llama and
 * Qwen3) with a KV cache: each forward() call appends its tokens, so a prefill followed by
 * single-token steps continues one sequence until reset().
 */
export class RefModel {
  readonly config: ModelConfig;
  /** Called with each intermediate while forward() runs; null for none. */
  hook: RefHook | null;
  /** Keep keys and values rounded to IEEE half, as the GPU's default f16 KV cache does. */
  kvF16 = false;
  /**
   * W8A8 checkpoints: the inputs of the matmuls whose weights are in `quantized` (by tensor name)
   * rounded to FP8 E4M3 or INT8 per token or per `group` values (INT8 with LLM.int8 outliers kept).
   */
  activationRounding: (ActivationRounding & { quantized: ReadonlySet<string> }) | null = null;
  private readonly embedTable: Float64Array; // [V, H]
  private readonly finalNorm: Float64Array; //  [H]
  private readonly lmHead: Float64Array; //     [V, H]
  private readonly layers: LayerWeights[];
  private readonly invFreq: Float64Array; //    [D/2]
  private readonly attentionScaling: number;
  private keys: Float64Array[] = []; //   per layer [capacity, nKv*D], post-RoPE
  private values: Float64Array[] = []; // per layer [capacity, nKv*D]
  private len = 0;

  /**
   * @param weights tensors by Hugging Face name, row-major; a missing or mis-sized tensor throws
   * an Error naming it. `lm_head.weight` is not read when config.tieEmbeddings.
   */
  constructor(config: ModelConfig, weights: ReadonlyMap<string, Float64Array>, hook: RefHook | null = null) {
    this.config = config;
    this.hook = hook;
    const { hiddenSize: H, nHeads: nH, nKvHeads: nKv, headDim: D, ffnSize: I, vocabSize: V } = config;
    const need = (name: string, ...shape: number[]): Float64Array => {
      const t = weights.get(name);
      if (!t) throw new Error(`RefModel: missing tensor "${name}"`);
      const size = shape.reduce((a, b) => a * b, 1);
      if (t.length !== size) {
        throw new Error(`RefModel: tensor "${name}" has ${t.length} values, expected [${shape.join(', ')}]`);
      }
      return t;
    };
    this.embedTable = need('model.embed_tokens.weight', V, H);
    this.finalNorm = need('model.norm.weight', H);
    this.lmHead = config.tieEmbeddings ? this.embedTable : need('lm_head.weight', V, H);
    this.layers = Array.from({ length: config.nLayers }, (_, i) => {
      const p = `model.layers.${i}.`;
      return {
        attnNorm: need(`${p}input_layernorm.weight`, H),
        wq: need(`${p}self_attn.q_proj.weight`, nH * D, H),
        wk: need(`${p}self_attn.k_proj.weight`, nKv * D, H),
        wv: need(`${p}self_attn.v_proj.weight`, nKv * D, H),
        bq: config.qkvBias ? need(`${p}self_attn.q_proj.bias`, nH * D) : undefined,
        bk: config.qkvBias ? need(`${p}self_attn.k_proj.bias`, nKv * D) : undefined,
        bv: config.qkvBias ? need(`${p}self_attn.v_proj.bias`, nKv * D) : undefined,
        qNorm: config.qkNorm ? need(`${p}self_attn.q_norm.weight`, D) : undefined,
        kNorm: config.qkNorm ? need(`${p}self_attn.k_norm.weight`, D) : undefined,
        wo: need(`${p}self_attn.o_proj.weight`, H, nH * D),
        ffnNorm: need(`${p}post_attention_layernorm.weight`, H),
        gate: need(`${p}mlp.gate_proj.weight`, I, H),
        up: need(`${p}mlp.up_proj.weight`, I, H),
        down: need(`${p}mlp.down_proj.weight`, H, I),
      };
    });
    const rope = ropeInvFreqs(config);
    // GGUF llama3 files carry the scaling as per-pair frequency divisors, as the GPU path reads them.
    const divisors = weights.has('rope_freqs.weight') ? need('rope_freqs.weight', D / 2) : null;
    this.invFreq = rope.invFreq.map((f, i) => f / (divisors ? divisors[i] : 1));
    this.attentionScaling = rope.attentionScaling;
    this.reset();
  }

  /** Positions held in the KV cache: the position the next token will take. */
  get length(): number {
    return this.len;
  }

  /** Empties the KV cache; the next forward() starts at position 0. */
  reset(): void {
    const kvDim = this.config.nKvHeads * this.config.headDim;
    // Room for 16 positions; growCache doubles it as the sequence lengthens.
    this.keys = this.layers.map(() => new Float64Array(16 * kvDim)); //   per layer [16, nKv*D]
    this.values = this.layers.map(() => new Float64Array(16 * kvDim)); // per layer [16, nKv*D]
    this.len = 0;
  }

  /**
   * Runs the tokens at positions length .. length+ids.length-1, appends their keys and values to
   * the cache and returns the logits of every token, [ids.length, vocabSize].
   */
  forward(ids: readonly number[]): Float64Array {
    const c = this.config;
    const { hiddenSize: H, nHeads: nH, nKvHeads: nKv, headDim: D, ffnSize: I, vocabSize: V, rmsEps: eps } = c;
    const T = ids.length;
    const kvDim = nKv * D;
    const pastLen = this.len;
    const positions = Array.from({ length: T }, (_, t) => pastLen + t);
    this.growCache(pastLen + T);
    const tap = (layer: number, name: RefTap, value: Float64Array) => this.hook?.(layer, name, value);
    const w8a8 = this.activationRounding;
    const roundedIn = (x: Float64Array, n: number, layer: number, weight: string) =>
      w8a8?.quantized.has(`model.layers.${layer}.${weight}.weight`) ? roundActivations(x, n, w8a8) : x;

    let x = embed(this.embedTable, ids, H); // [T, H]
    this.layers.forEach((L, l) => {
      // ---- attention ----
      const h = rmsNorm(x, L.attnNorm, eps); // [T, H]
      tap(l, 'attn_norm', h);
      const hIn = roundedIn(h, H, l, 'self_attn.q_proj');
      let q = matmul(hIn, L.wq, T, nH * D, H, L.bq); // [T, nH*D]
      let k = matmul(hIn, L.wk, T, kvDim, H, L.bk); //  [T, nKv*D]
      const v = matmul(hIn, L.wv, T, kvDim, H, L.bv); // [T, nKv*D]
      if (L.qNorm && L.kNorm) {
        // Qwen3: RMSNorm over each head's D values, before RoPE.
        q = rmsNorm(q, L.qNorm, eps); // [T, nH*D]
        k = rmsNorm(k, L.kNorm, eps); // [T, nKv*D]
      }
      rope(q, positions, nH, D, this.invFreq, this.attentionScaling);
      rope(k, positions, nKv, D, this.invFreq, this.attentionScaling);
      tap(l, 'q', q);
      tap(l, 'k', k);
      tap(l, 'v', v);
      const kept = (x: Float64Array) => (this.kvF16 ? x.map((e) => f16BitsToF32(f32ToF16Bits(e))) : x);
      this.keys[l].set(kept(k), pastLen * kvDim);
      this.values[l].set(kept(v), pastLen * kvDim);
      const o = attention(q, this.keys[l], this.values[l], T, pastLen, nH, nKv, D); // [T, nH*D]
      tap(l, 'attn', o);
      const attnOut = matmul(roundedIn(o, nH * D, l, 'self_attn.o_proj'), L.wo, T, H, nH * D); // [T, H]
      tap(l, 'attn_out', attnOut);
      x = add(x, attnOut); // [T, H]
      // ---- feed-forward ----
      const h2 = rmsNorm(x, L.ffnNorm, eps); // [T, H]
      tap(l, 'ffn_norm', h2);
      const h2In = roundedIn(h2, H, l, 'mlp.gate_proj');
      const act = swiglu(matmul(h2In, L.gate, T, I, H), matmul(h2In, L.up, T, I, H)); // [T, I]
      tap(l, 'ffn_act', act);
      const ffnOut = matmul(roundedIn(act, I, l, 'mlp.down_proj'), L.down, T, H, I); // [T, H]
      tap(l, 'ffn_out', ffnOut);
      x = add(x, ffnOut); // [T, H]
      tap(l, 'resid', x);
    });
    this.len = pastLen + T;
    const out = rmsNorm(x, this.finalNorm, eps); // [T, H]
    tap(c.nLayers, 'final_norm', out);
    // A W8A8 checkpoint that quantized its LM head too (most leave it out) rounds its input as well.
    const headIn = w8a8?.quantized.has('lm_head.weight') ? roundActivations(out, H, w8a8) : out;
    return matmul(headIn, this.lmHead, T, V, H); // [T, V]
  }

  /** Doubles the per-layer caches until they hold `positions` rows, keeping their contents. */
  private growCache(positions: number): void {
    const kvDim = this.config.nKvHeads * this.config.headDim;
    if (this.keys.length === 0) return;
    let rows = this.keys[0].length / kvDim;
    if (rows >= positions) return;
    while (rows < positions) rows *= 2;
    const grow = (old: Float64Array) => {
      const bigger = new Float64Array(rows * kvDim); // [rows, nKv*D]
      bigger.set(old);
      return bigger;
    };
    this.keys = this.keys.map(grow);
    this.values = this.values.map(grow);
  }
}
