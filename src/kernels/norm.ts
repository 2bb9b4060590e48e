import { makeDispatch, uniform, type Dispatch, type KernelContext } from '../gpu/dispatch.ts';
import type { UniformLayout } from '../gpu/uniforms.ts';

/** Mirrors `struct Params` in shaders/rmsnorm.wgsl. */
export const RMSNORM_PARAMS: UniformLayout = [
  ['n', 'u32'],
  ['eps', 'f32'],
  ['inOffset', 'u32'],
  ['outOffset', 'u32'],
  ['offsetPerPos', 'u32'],
];

const WG = 64;

export interface RmsNormArgs {
  x: GPUBuffer; //       rows of n f32
  weight: GPUBuffer; //  [n] f32
  /** Output buffer; omitted = in place. */
  y?: GPUBuffer;
  rows: number;
  n: number;
  eps: number;
  inOffset?: number;
  outOffset?: number;
  offsetPerPos?: number;
}

export function rmsNorm(ctx: KernelContext, a: RmsNormArgs): Dispatch {
  const params = uniform(
    ctx,
    RMSNORM_PARAMS,
    { n: a.n, eps: a.eps, inOffset: a.inOffset ?? 0, outOffset: a.outOffset ?? 0, offsetPerPos: a.offsetPerPos ?? 0 },
    'rmsnorm params',
  );
  const bindings: Record<number, GPUBuffer> = { 0: a.x, 1: a.weight, 2: params, 3: ctx.step };
  if (a.y) bindings[4] = a.y;
  return makeDispatch(ctx, 'rmsnorm.wgsl', 'rmsnorm', { INPLACE: !a.y, WG }, bindings, [a.rows, 1, 1]);
}
