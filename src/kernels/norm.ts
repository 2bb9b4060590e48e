import { makeDispatch, uniform, type Dispatch, type KernelContext } from '../gpu/dispatch.ts';
import type { Defines } from '../gpu/shader-source.ts';
import type { UniformLayout } from '../gpu/uniforms.ts';
import type { ActivationRounding } from '../formats/quant/scheme.ts';
import { roundingDefines } from './activation-rounding.ts';

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
  /** Round the normed rows to their 8-bit grid per `group` values (0: per row), as W8A8 checkpoints round a matmul's input. */
  rounding?: ActivationRounding;
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
  const defines: Defines = { INPLACE: !a.y, WG };
  if (a.rounding) Object.assign(defines, { ROUND: true, ROUND_GROUP: a.rounding.group, ...roundingDefines(a.rounding) });
  return makeDispatch(ctx, 'rmsnorm.wgsl', 'rmsnorm', defines, bindings, [a.rows, 1, 1]);
}
