import { grid, makeDispatch, uniform, type Dispatch, type KernelContext } from '../gpu/dispatch.ts';
import type { UniformLayout } from '../gpu/uniforms.ts';

/** Mirrors `struct Params` in shaders/kv-cache.wgsl. */
export const KV_STORE_PARAMS: UniformLayout = [
  ['count', 'u32'],
  ['rowWords', 'u32'],
];

/** cache rows step.pos .. step.pos + T - 1 = src [T, kvDim] in half precision. */
export function kvStoreF16(ctx: KernelContext, src: GPUBuffer, cache: GPUBuffer, T: number, kvDim: number): Dispatch {
  if (kvDim % 2) throw new RangeError(`a half-precision KV cache packs pairs: kvDim ${kvDim} is odd`);
  const count = (T * kvDim) / 2;
  const params = uniform(ctx, KV_STORE_PARAMS, { count, rowWords: kvDim / 2 }, 'kv store params');
  return makeDispatch(ctx, 'kv-cache.wgsl', 'store_f16', {}, { 0: src, 1: cache, 2: params, 3: ctx.step }, grid(Math.ceil(count / 256)));
}
