import { makeDispatch, uniform, type Dispatch, type KernelContext } from '../gpu/dispatch.ts';
import type { UniformLayout } from '../gpu/uniforms.ts';

/** Mirrors `struct Params` in shaders/attention.wgsl. */
export const ATTENTION_PARAMS: UniformLayout = [
  ['T', 'u32'],
  ['nHeads', 'u32'],
  ['nKvHeads', 'u32'],
  ['headDim', 'u32'],
  ['scale', 'f32'],
];

const WG = 64;
export const MAX_HEAD_DIM = 256;

export interface AttentionArgs {
  q: GPUBuffer; //       [T, nHeads * headDim]
  kCache: GPUBuffer; //  [maxSeq, nKvHeads * headDim] f32 or f16
  vCache: GPUBuffer; //  [maxSeq, nKvHeads * headDim] f32 or f16
  out: GPUBuffer; //     [T, nHeads * headDim]
  T: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  /** The cache holds halves, two per u32 (written by rope.wgsl). */
  kvF16?: boolean;
  /** Key slices per query, each its own workgroup, merged by a second pass (flash-decoding); 1 = off. */
  splits?: number;
  /** f32 [T, nHeads, splits, 2 + headDim]: the slices' softmax states, when splits > 1. */
  parts?: GPUBuffer;
}

/** Floats of scratch that attention with `splits` slices needs for T tokens. */
export function attentionPartsSize(T: number, nHeads: number, headDim: number, splits: number): number {
  return T * nHeads * splits * (2 + headDim);
}

/**
 * Split attention pays where few queries run (decode, short prefill tails): up to this many tokens,
 * while T * nHeads workgroups leave a GPU mostly idle.
 */
export function splitAttentionTokens(nHeads: number, maxTokens: number): number {
  return Math.max(1, Math.min(8, maxTokens, Math.floor(127 / nHeads)));
}

/**
 * Key slices per query for those passes: enough workgroups to fill a GPU on long contexts, none on CPU
 * adapters (they pay per workgroup). A slice holds at least 4 tiles of keys at the longest context;
 * at most 16 slices.
 */
export function attentionSlices(maxSeq: number, isCpu: boolean): number {
  return isCpu ? 1 : Math.max(1, Math.min(16, Math.floor(maxSeq / (4 * WG))));
}

export function attention(ctx: KernelContext, a: AttentionArgs): Dispatch[] {
  if (a.headDim > MAX_HEAD_DIM) throw new RangeError(`head_dim ${a.headDim} exceeds the supported ${MAX_HEAD_DIM}`);
  if (a.headDim % 2) throw new RangeError(`attention reads head dims in pairs: head_dim ${a.headDim} is odd`);
  if (a.nHeads % a.nKvHeads !== 0) throw new RangeError(`${a.nHeads} query heads cannot share ${a.nKvHeads} kv heads evenly`);
  const params = uniform(
    ctx,
    ATTENTION_PARAMS,
    { T: a.T, nHeads: a.nHeads, nKvHeads: a.nKvHeads, headDim: a.headDim, scale: 1 / Math.sqrt(a.headDim) },
    'attention params',
  );
  const splits = a.splits ?? 1;
  // The softmax's reductions in registers where subgroup lanes are known to follow the thread index.
  const base = { WG, KV_F16: a.kvF16 ?? false, SUBGROUPS: ctx.gpu.subgroupRowLanes > 0 };
  if (splits === 1) {
    const defines = base;
    return [makeDispatch(ctx, 'attention.wgsl', 'attention', defines, { 0: a.q, 1: a.kCache, 2: a.vCache, 3: a.out, 4: params, 5: ctx.step }, [a.nHeads, a.T, 1])];
  }
  if (!a.parts) throw new RangeError('split attention needs its scratch buffer (parts)');
  const defines = { ...base, SPLIT: true, SPLITS: splits };
  return [
    makeDispatch(ctx, 'attention.wgsl', 'attention_split', defines, { 0: a.q, 1: a.kCache, 2: a.vCache, 4: params, 5: ctx.step, 6: a.parts }, [a.nHeads, a.T, splits]),
    makeDispatch(ctx, 'attention.wgsl', 'attention_combine', defines, { 3: a.out, 4: params, 6: a.parts }, [a.nHeads, a.T, 1]),
  ];
}
