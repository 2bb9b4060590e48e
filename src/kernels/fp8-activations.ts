import { makeDispatch, uniform, type Dispatch, type KernelContext } from '../gpu/dispatch.ts';
import type { UniformLayout } from '../gpu/uniforms.ts';

/** Mirrors `struct Params` in shaders/fp8-activations.wgsl. */
export const FP8_ACTIVATION_PARAMS: UniformLayout = [
  ['n', 'u32'],
  ['group', 'u32'],
];

export interface Fp8ActivationArgs {
  x: GPUBuffer; // rows of n f32, rounded in place
  rows: number;
  n: number;
  /** Values sharing one scale; 0: the whole row (per token). */
  group: number;
}

/** x <- e4m3(x / s) * s per group of a row, s = max|x| / 448: the input rounding of W8A8 FP8 checkpoints. */
export function roundToE4M3(ctx: KernelContext, a: Fp8ActivationArgs): Dispatch {
  const group = a.group > 0 ? Math.min(a.group, a.n) : a.n;
  // Groups of 128 take 2 values per thread. A whole row (per token) is one workgroup's at decode:
  // 256 threads keep that pass short on a GPU; CPU adapters pay per thread at every barrier.
  const WG = a.group > 0 || ctx.gpu.isCpu ? 64 : 256;
  const params = uniform(ctx, FP8_ACTIVATION_PARAMS, { n: a.n, group }, 'fp8 activation params');
  return makeDispatch(ctx, 'fp8-activations.wgsl', 'round_to_e4m3', { WG }, { 0: a.x, 1: params }, [Math.ceil(a.n / group), a.rows, 1]);
}
