import { grid, makeDispatch, uniform, type Dispatch, type KernelContext } from '../gpu/dispatch.ts';
import type { UniformLayout } from '../gpu/uniforms.ts';

/** Mirrors `struct Params` in shaders/elementwise.wgsl. */
export const SILU_MUL_PARAMS: UniformLayout = [['count', 'u32']];

/** gate = silu(gate) * up, in place. */
export function siluMul(ctx: KernelContext, gate: GPUBuffer, up: GPUBuffer, count: number): Dispatch {
  const params = uniform(ctx, SILU_MUL_PARAMS, { count }, 'silu_mul params');
  return makeDispatch(ctx, 'elementwise.wgsl', 'silu_mul', {}, { 0: gate, 1: up, 2: params }, grid(Math.ceil(count / 256)));
}
