import { makeDispatch, uniform, type Dispatch, type KernelContext } from '../gpu/dispatch.ts';
import type { UniformLayout } from '../gpu/uniforms.ts';

/** Mirrors `struct Params` in shaders/sample.wgsl. */
export const SAMPLE_PARAMS: UniformLayout = [
  ['vocab', 'u32'],
  ['temperature', 'f32'],
  ['topK', 'u32'],
  ['topP', 'f32'],
  ['penalty', 'f32'],
  ['nPenalized', 'u32'],
];

const WG = 256;

export interface SamplingParams {
  /** 0 means greedy. */
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
  /** 1 = off. */
  repetitionPenalty: number;
}

/** Greedy pick: result[0] = argmax(logits). */
export function argmax(ctx: KernelContext, logits: GPUBuffer, result: GPUBuffer, vocab: number): Dispatch {
  const params = uniform(ctx, SAMPLE_PARAMS, { vocab, temperature: 1, topK: 0, topP: 1, penalty: 1, nPenalized: 0 }, 'argmax params');
  return makeDispatch(ctx, 'sample.wgsl', 'argmax', { WG }, { 0: logits, 1: result, 2: params }, [1, 1, 1]);
}

/**
 * Sampled pick. `params` is a uniform laid out as SAMPLE_PARAMS, rewritten when the settings or the
 * number of penalized ids change; `penalized` holds the distinct ids already in the context.
 */
export function sample(
  ctx: KernelContext,
  logits: GPUBuffer,
  result: GPUBuffer,
  params: GPUBuffer,
  penalized: GPUBuffer,
): Dispatch {
  return makeDispatch(
    ctx,
    'sample.wgsl',
    'sample',
    // The bisection's sums in registers where subgroup lanes are known to follow the thread index.
    { WG, SAMPLE: true, SUBGROUPS: ctx.gpu.subgroupRowLanes > 0 },
    { 0: logits, 1: result, 2: params, 3: ctx.step, 4: penalized },
    [1, 1, 1],
  );
}
