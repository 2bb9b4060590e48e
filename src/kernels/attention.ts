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
  /** The cache holds halves, two per u32 (kv-cache.wgsl). */
  kvF16?: boolean;
}

export function attention(ctx: KernelContext, a: AttentionArgs): Dispatch {
  if (a.headDim > MAX_HEAD_DIM) throw new RangeError(`head_dim ${a.headDim} exceeds the supported ${MAX_HEAD_DIM}`);
  if (a.nHeads % a.nKvHeads !== 0) throw new RangeError(`${a.nHeads} query heads cannot share ${a.nKvHeads} kv heads evenly`);
  const params = uniform(
    ctx,
    ATTENTION_PARAMS,
    { T: a.T, nHeads: a.nHeads, nKvHeads: a.nKvHeads, headDim: a.headDim, scale: 1 / Math.sqrt(a.headDim) },
    'attention params',
  );
  return makeDispatch(
    ctx,
    'attention.wgsl',
    'attention',
    { WG, KV_F16: a.kvF16 ?? false },
    { 0: a.q, 1: a.kCache, 2: a.vCache, 3: a.out, 4: params, 5: ctx.step },
    [a.nHeads, a.T, 1],
  );
}
