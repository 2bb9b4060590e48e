import { grid, makeDispatch, uniform, type Dispatch, type KernelContext } from '../gpu/dispatch.ts';
import type { UniformLayout } from '../gpu/uniforms.ts';

/** Mirrors `struct Params` in shaders/rope.wgsl. */
export const ROPE_PARAMS: UniformLayout = [
  ['T', 'u32'],
  ['nHeads', 'u32'],
  ['headDim', 'u32'],
  ['offset', 'u32'],
  ['offsetPerPos', 'u32'],
];

export interface RopeArgs {
  x: GPUBuffer; //        [T, nHeads * headDim] f32, rotated in place
  cosSin: GPUBuffer; //   [maxSeq, headDim / 2] (cos, sin) f32 pairs: ropeTable()
  T: number;
  nHeads: number;
  headDim: number;
  offset?: number;
  offsetPerPos?: number;
}

export function rope(ctx: KernelContext, a: RopeArgs): Dispatch {
  const params = uniform(
    ctx,
    ROPE_PARAMS,
    {
      T: a.T,
      nHeads: a.nHeads,
      headDim: a.headDim,
      offset: a.offset ?? 0,
      offsetPerPos: a.offsetPerPos ?? 0,
    },
    'rope params',
  );
  const threads = (a.T * a.nHeads * a.headDim) / 2;
  return makeDispatch(ctx, 'rope.wgsl', 'rope', {}, { 0: a.x, 1: a.cosSin, 2: params, 3: ctx.step }, grid(Math.ceil(threads / 64)));
}
