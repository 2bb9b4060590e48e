import type { Dispatch, KernelContext } from '../gpu/dispatch.ts';
import type { GpuWeight } from '../gpu/weights.ts';
import { attention, attentionPartsSize, attentionSlices, splitAttentionTokens } from '../kernels/attention.ts';
import { embedding } from '../kernels/embedding.ts';
import { roundActivations } from '../kernels/activation-rounding.ts';
import { fusesNorm, matmul, qkvFusable, qkvMatmul, qkvRopeFusable, swiGluFusable } from '../kernels/matmul.ts';
import { rmsNorm } from '../kernels/norm.ts';
import { rope, ropeFusesQkNorm } from '../kernels/rope.ts';
import { argmax, createPickBuffers, sample, type PickBuffers } from '../kernels/sample.ts';
import { siluMul } from '../kernels/silu-mul.ts';
import type { ModelConfig } from './config.ts';
import type { KvCache } from './kv-cache.ts';
import type { ModelWeights } from './weights.ts';

/** Activation buffers for up to `maxTokens` tokens per forward call (f32). */
export interface Activations {
  maxTokens: number;
  tokens: GPUBuffer; //  [maxTokens] u32 input ids
  x: GPUBuffer; //       [maxTokens, hidden] residual stream
  h: GPUBuffer; //       [maxTokens, hidden] normalized
  q: GPUBuffer; //       [maxTokens, nHeads*headDim]
  k: GPUBuffer; //       [maxTokens, nKvHeads*headDim] before an f16 cache takes them
  v: GPUBuffer; //       [maxTokens, nKvHeads*headDim]
  attn: GPUBuffer; //    [maxTokens, nHeads*headDim]
  gate: GPUBuffer; //    [maxTokens, ffn]
  up: GPUBuffer; //      [maxTokens, ffn]
  logits: GPUBuffer; //  [vocab] of the last token
  result: GPUBuffer; //  [1] u32 picked token
  ropeCosSin: GPUBuffer; // [maxSeq, headDim/2] (cos, sin) pairs
  samplerParams: GPUBuffer; // SAMPLE_PARAMS uniform
  pick: PickBuffers; //       the token pick's scratch and penalty mask
  /** Forward passes of up to this many tokens split attention into attentionSlices key slices. */
  splitTokens: number;
  attentionSlices: number;
  /** f32 scratch of split attention (flash-decoding) for those passes. */
  attnParts: GPUBuffer;
  /** Bytes of all of the above. */
  bytes: number;
}

export interface ActivationOptions {
  isCpu: boolean;
  /** Force this many attention slices (tests); by default attentionSlices() decides. */
  attentionSplits?: number;
}

export function createActivations(device: GPUDevice, c: ModelConfig, maxTokens: number, maxSeq: number, ropeCosSin: Float32Array, o: ActivationOptions): Activations {
  let bytes = 32; // the sampler's uniform
  const f32 = (label: string, n: number, extra = 0) => {
    bytes += n * 4;
    return device.createBuffer({ label, size: n * 4, usage: GPUBufferUsage.STORAGE | extra });
  };
  const qDim = c.nHeads * c.headDim;
  const rope = f32('rope cos/sin', ropeCosSin.length, GPUBufferUsage.COPY_DST);
  device.queue.writeBuffer(rope, 0, ropeCosSin);
  const splitTokens = splitAttentionTokens(c.nHeads, maxTokens);
  const slices = o.attentionSplits ?? attentionSlices(maxSeq, o.isCpu);
  const a = {
    maxTokens,
    splitTokens,
    attentionSlices: slices,
    attnParts: f32('attention slices', slices > 1 ? attentionPartsSize(splitTokens, c.nHeads, c.headDim, slices) : 1),
    tokens: f32('tokens', maxTokens, GPUBufferUsage.COPY_DST),
    x: f32('x', maxTokens * c.hiddenSize),
    h: f32('h', maxTokens * c.hiddenSize),
    q: f32('q', maxTokens * qDim),
    k: f32('k', maxTokens * c.nKvHeads * c.headDim),
    v: f32('v', maxTokens * c.nKvHeads * c.headDim),
    attn: f32('attn', maxTokens * qDim),
    gate: f32('gate', maxTokens * c.ffnSize),
    up: f32('up', maxTokens * c.ffnSize),
    logits: f32('logits', c.vocabSize, GPUBufferUsage.COPY_SRC),
    result: f32('result', 1, GPUBufferUsage.COPY_SRC),
    ropeCosSin: rope,
    samplerParams: device.createBuffer({ label: 'sampler params', size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }),
    pick: createPickBuffers(device, c.vocabSize, o.isCpu),
  };
  return { ...a, bytes: bytes + a.pick.bytes };
}

/**
 * The whole forward pass for T tokens at cache positions step.pos .. step.pos+T-1, ending in the
 * pick of the next token. It records dispatches rather than doing math, but reads like the math:
 * embed -> per layer (norm, q/k/v (+bias), q/k norm? and rope (+ f16 cache append), attention,
 * o_proj + residual, norm, gate/up, SiLU x up, down + residual) -> final norm of the last token ->
 * LM head -> pick. When decoding, the GEMVs normalize their input themselves, q, k and v are one
 * GEMV that also applies RoPE and fills the cache (but for Qwen3's head norms), and gate, up and SiLU
 * are one SwiGLU GEMV.
 */
export function recordForward(
  ctx: KernelContext,
  c: ModelConfig,
  w: ModelWeights,
  kv: KvCache,
  a: Activations,
  T: number,
  /** 'none': a prefill chunk that is not the last one needs no logits. */
  pick: 'greedy' | 'sample' | 'none',
): Dispatch[] {
  const D = c.headDim;
  const kvDim = c.nKvHeads * D;
  const ds: Dispatch[] = [];
  const w8a8 = w.activationRounding;
  // W8A8 checkpoints: the input of each 8-bit matmul rounded to its grid (FP8 E4M3 or INT8) first, as
  // they were run; a layer the checkpoint left unquantized (its `ignore` list) takes its input as it is.
  const roundingFor = (weight: GpuWeight) => (w8a8 && weight.dtype === (w8a8.format === 'e4m3' ? 'f8e4m3_128' : 'i8_128') ? w8a8 : undefined);
  const roundInput = (x: GPUBuffer, n: number, weight: GpuWeight) => {
    const rounding = roundingFor(weight);
    if (rounding) ds.push(roundActivations(ctx, { x, rows: T, n, ...rounding }));
  };
  ds.push(...embedding(ctx, w.embed, a.tokens, a.x, T));
  w.layers.forEach((L, i) => {
    const kCache = kv.keys[i];
    const vCache = kv.values[i];
    // ---- attention ----
    // Decoding GEMVs normalize their input themselves; otherwise, and where a W8A8 checkpoint
    // rounds the normalized input to its 8-bit grid (which that pass then does too), a norm pass writes h.
    const normed = (gain: GPUBuffer, reader: GpuWeight) => {
      const rounding = roundingFor(reader);
      if (fusesNorm(T) && !rounding) return { x: a.x, norm: { gain, eps: c.rmsEps } };
      ds.push(rmsNorm(ctx, { x: a.x, y: a.h, weight: gain, rows: T, n: c.hiddenSize, eps: c.rmsEps, rounding }));
      return { x: a.h };
    };
    const attnIn = normed(L.attnNorm, L.wq);
    // An f32 cache takes k and v straight at row step.pos; an f16 one once they are final (rotated).
    const f16 = kv.dtype === 'f16';
    const k = f16 ? a.k : kCache;
    const v = f16 ? a.v : vCache;
    const kAt = f16 ? 0 : kvDim;
    const qkvFused = qkvFusable(ctx, T, L.wq, L.wk, L.wv);
    // Decoding: that GEMV also rotates q and k and fills the cache itself (no rope launch).
    const ropeInQkv = qkvFused && qkvRopeFusable(ctx, L.wq.dtype, D, L.qNorm !== undefined && L.kNorm !== undefined);
    if (qkvFused) {
      const rope = ropeInQkv ? { cosSin: a.ropeCosSin, headDim: D, f16Cache: f16 } : undefined;
      const [kOut, vOut] = ropeInQkv && f16 ? [kCache, vCache] : [k, v];
      ds.push(qkvMatmul(ctx, { ...attnIn, wq: L.wq, wk: L.wk, wv: L.wv, q: a.q, k: kOut, v: vOut, T, kvOffsetPerPos: kAt, rope }));
    } else {
      ds.push(...matmul(ctx, { ...attnIn, weight: L.wq, y: a.q, T }));
      ds.push(...matmul(ctx, { ...attnIn, weight: L.wk, y: k, T, yOffsetPerPos: kAt }));
      ds.push(...matmul(ctx, { ...attnIn, weight: L.wv, y: v, T, yOffsetPerPos: kAt }));
    }
    let qkNorm: { q: GPUBuffer; k: GPUBuffer; eps: number } | undefined;
    if (L.qNorm && L.kNorm) {
      if (ropeFusesQkNorm(D)) {
        qkNorm = { q: L.qNorm, k: L.kNorm, eps: c.rmsEps };
      } else {
        ds.push(rmsNorm(ctx, { x: a.q, weight: L.qNorm, rows: T * c.nHeads, n: D, eps: c.rmsEps }));
        ds.push(rmsNorm(ctx, { x: k, weight: L.kNorm, rows: T * c.nKvHeads, n: D, eps: c.rmsEps, offsetPerPos: kAt }));
      }
    }
    const f16Cache = f16 ? { v: a.v, kCache, vCache } : undefined;
    if (!ropeInQkv) ds.push(rope(ctx, { q: a.q, k, cosSin: a.ropeCosSin, T, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: D, kOffsetPerPos: kAt, f16Cache, qkNorm }));
    const splits = T <= a.splitTokens ? a.attentionSlices : 1;
    ds.push(...attention(ctx, { q: a.q, kCache, vCache, out: a.attn, T, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: D, kvF16: f16, splits, parts: a.attnParts }));
    roundInput(a.attn, c.nHeads * D, L.wo);
    ds.push(...matmul(ctx, { x: a.attn, weight: L.wo, y: a.x, T, accumulate: true }));
    // ---- feed-forward ----
    const ffnIn = normed(L.ffnNorm, L.gate);
    if (swiGluFusable(ctx, T, L.gate, L.up)) {
      ds.push(...matmul(ctx, { ...ffnIn, weight: L.gate, up: L.up, y: a.gate, T }));
    } else {
      ds.push(...matmul(ctx, { ...ffnIn, weight: L.gate, y: a.gate, T }));
      ds.push(...matmul(ctx, { ...ffnIn, weight: L.up, y: a.up, T }));
      ds.push(siluMul(ctx, a.gate, a.up, T * c.ffnSize));
    }
    roundInput(a.gate, c.ffnSize, L.down);
    ds.push(...matmul(ctx, { x: a.gate, weight: L.down, y: a.x, T, accumulate: true }));
  });
  if (pick === 'none') return ds;
  // ---- head: only the last token's logits are needed ----
  ds.push(rmsNorm(ctx, { x: a.x, y: a.h, weight: w.finalNorm, rows: 1, n: c.hiddenSize, eps: c.rmsEps, inOffset: (T - 1) * c.hiddenSize, rounding: roundingFor(w.lmHead) }));
  ds.push(...matmul(ctx, { x: a.h, weight: w.lmHead, y: a.logits, T: 1 }));
  ds.push(...(pick === 'greedy' ? argmax(ctx, a.logits, a.result, a.samplerParams, a.pick) : sample(ctx, a.logits, a.result, a.samplerParams, a.pick)));
  return ds;
}
