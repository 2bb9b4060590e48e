import { grid, makeDispatch, uniform, type Dispatch, type KernelContext } from '../gpu/dispatch.ts';
import type { UniformLayout } from '../gpu/uniforms.ts';
import type { GpuWeight } from '../gpu/weights.ts';
import { weightDefines } from './matmul.ts';
import { iqGridBinding } from './iq-grid.ts';

/** Mirrors `struct Params` in shaders/embedding.wgsl. */
export const EMBEDDING_PARAMS: UniformLayout = [
  ['T', 'u32'],
  ['H', 'u32'],
  ['rowStart', 'u32'],
  ['nRows', 'u32'],
  ['rowBytes', 'u32'],
];

/** x[t] = table[tokens[t]]: one dispatch per shard of the table. */
export function embedding(ctx: KernelContext, table: GpuWeight, tokens: GPUBuffer, x: GPUBuffer, T: number): Dispatch[] {
  return table.shards.map((shard) => {
    const params = uniform(
      ctx,
      EMBEDDING_PARAMS,
      { T, H: table.cols, rowStart: shard.rowStart, nRows: shard.nRows, rowBytes: table.rowBytes },
      'embedding params',
    );
    return makeDispatch(
      ctx,
      'embedding.wgsl',
      'embed',
      weightDefines(table.dtype),
      { 0: tokens, 1: shard.buffer, 2: x, 3: params, ...iqGridBinding(ctx, table.dtype) },
      grid(Math.ceil((T * table.cols) / 64)),
    );
  });
}
