import { grid, makeDispatch, uniform, type Dispatch, type KernelContext } from '../gpu/dispatch.ts';
import type { UniformLayout } from '../gpu/uniforms.ts';

/** Mirrors `struct Params` in shaders/rope.wgsl. */
export const ROPE_PARAMS: UniformLayout = [
  ['T', 'u32'],
  ['nHeads', 'u32'],
  ['nKvHeads', 'u32'],
  ['headDim', 'u32'],
  ['kOffsetPerPos', 'u32'],
  ['eps', 'f32'],
];

export interface RopeArgs {
  q: GPUBuffer; //        [T, nHeads * headDim] f32, rotated in place
  k: GPUBuffer; //        [T, nKvHeads * headDim] f32 (at kOffsetPerPos * step.pos), rotated in place
  cosSin: GPUBuffer; //   [maxSeq, headDim / 2] (cos, sin) f32 pairs: ropeTable()
  T: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  /** k lives in an f32 KV cache: its rows start at step.pos * kOffsetPerPos. */
  kOffsetPerPos?: number;
  /**
   * A half-precision KV cache: the rotated keys and the values `v` [T, nKvHeads * headDim] are written
   * to its rows step.pos .. step.pos + T - 1 (k itself is then left unrotated).
   */
  f16Cache?: { v: GPUBuffer; kCache: GPUBuffer; vCache: GPUBuffer };
  /** Qwen3: RMSNorm each head of q and of k (gains [headDim]) before rotating; see ropeFusesQkNorm(). */
  qkNorm?: { q: GPUBuffer; k: GPUBuffer; eps: number };
}

const WG = 64;

/** Whether rope can normalize heads itself: a head's headDim / 4 threads must tile a workgroup. */
export function ropeFusesQkNorm(headDim: number): boolean {
  const pairs = headDim / 4;
  return Number.isInteger(pairs) && WG % pairs === 0;
}

/** RoPE on the queries and keys of T tokens (Qwen3: their head norms first), and the f16 cache append: one dispatch. */
export function rope(ctx: KernelContext, a: RopeArgs): Dispatch {
  if (a.headDim % 4) throw new RangeError(`rope takes pairs of adjacent dimensions in each half: headDim ${a.headDim} is not a multiple of 4`);
  if (a.qkNorm && !ropeFusesQkNorm(a.headDim)) throw new RangeError(`rope cannot normalize heads of ${a.headDim}: headDim / 4 must divide ${WG}`);
  const params = uniform(
    ctx,
    ROPE_PARAMS,
    { T: a.T, nHeads: a.nHeads, nKvHeads: a.nKvHeads, headDim: a.headDim, kOffsetPerPos: a.kOffsetPerPos ?? 0, eps: a.qkNorm?.eps ?? 0 },
    'rope params',
  );
  const bindings: Record<number, GPUBuffer> = { 0: a.q, 1: a.k, 2: a.cosSin, 3: params, 4: ctx.step };
  if (a.f16Cache) Object.assign(bindings, { 5: a.f16Cache.v, 6: a.f16Cache.kCache, 7: a.f16Cache.vCache });
  if (a.qkNorm) Object.assign(bindings, { 8: a.qkNorm.q, 9: a.qkNorm.k });
  const threads = (a.T * (a.nHeads + a.nKvHeads) * a.headDim) / 4;
  const defines = { KV_F16: a.f16Cache !== undefined, QK_NORM: a.qkNorm !== undefined };
  return makeDispatch(ctx, 'rope.wgsl', 'rope', defines, bindings, grid(Math.ceil(threads / WG)));
}
