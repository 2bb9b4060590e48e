import { makeDispatch, uniform, type Dispatch, type KernelContext } from '../gpu/dispatch.ts';
import type { UniformLayout } from '../gpu/uniforms.ts';
import type { ActivationRounding } from '../formats/quant/scheme.ts';

/** Mirrors `struct Params` in shaders/activation-rounding.wgsl. */
export const ROUNDING_PARAMS: UniformLayout = [
  ['n', 'u32'],
  ['group', 'u32'],
];

export interface RoundingArgs extends ActivationRounding {
  x: GPUBuffer; // rows of n f32, rounded in place
  rows: number;
  n: number;
}

/**
 * The input rounding of W8A8 checkpoints, per `group` values of a row (0: the whole row): FP8,
 * x <- e4m3(x / s) s with s = max|x| / 448; INT8, x <- clamp(round(x / s), -128, 127) s with
 * s = max|x| / 127, where with a threshold (LLM.int8) values of |x| >= threshold stay as they are and
 * max|x| is over the others.
 */
export function roundActivations(ctx: KernelContext, a: RoundingArgs): Dispatch {
  const group = a.group > 0 ? Math.min(a.group, a.n) : a.n;
  // Groups of 128 take 2 values per thread. A whole row (per token) is one workgroup's at decode:
  // 256 threads keep that pass short on a GPU; CPU adapters pay per thread at every barrier.
  const WG = a.group > 0 || ctx.gpu.isCpu ? 64 : 256;
  const params = uniform(ctx, ROUNDING_PARAMS, { n: a.n, group }, 'activation rounding params');
  const defines = { WG, ...roundingDefines(a) };
  return makeDispatch(ctx, 'activation-rounding.wgsl', 'round_activations', defines, { 0: a.x, 1: params }, [Math.ceil(a.n / group), a.rows, 1]);
}

/** rounding.wgsl's flags for a checkpoint's rounding (shared with rmsnorm.wgsl's ROUND). */
export function roundingDefines(r: ActivationRounding): Record<string, boolean | number> {
  const flags = { ROUND_INT8: r.format === 'int8' };
  if (r.threshold === undefined) return flags;
  if (r.format !== 'int8') throw new RangeError('outlier thresholds go with INT8 rounding (bitsandbytes LLM.int8)');
  // WGSL constants here are u32s: the threshold travels as its f32 bits.
  return { ...flags, ROUND_OUTLIERS: true, ROUND_THRESHOLD_BITS: new Uint32Array(new Float32Array([r.threshold]).buffer)[0] };
}
