import type { GpuContext } from './device.ts';
import type { PipelineCache } from './pipelines.ts';
import { createUniformBuffer, type UniformLayout } from './uniforms.ts';

/** One recorded kernel launch: built once, replayed every step. */
export interface Dispatch {
  name: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
}

/** What every kernel module needs to record dispatches. */
/** Kernel variant choices that only measurements on a GPU can settle: benchmarks set them, else defaults. */
export interface KernelTuning {
  /** Output tile side of the tiled prefill GEMM, 32 or 64 (src/kernels/matmul.ts gemmTile). */
  gemmTile?: 32 | 64;
  /**
   * The prefill GEMM: on the matrix units where the device has them ('auto', the default), or the
   * tiled f32 one everywhere ('tiled').
   */
  gemm?: 'auto' | 'tiled';
  /** Output tile side of one subgroup in the GEMM on matrix units, 32 by default (src/kernels/matmul.ts matrixTile). */
  matrixTile?: 16 | 32;
  /**
   * Subgroups per side of a workgroup's tile in the GEMM on matrix units: 2 (a 2 x 2 grid sharing
   * the staged inputs) where the device can, by default, or 1 (src/kernels/matmul.ts matrixGrid).
   */
  matrixGrid?: 1 | 2;
}

export interface KernelContext {
  gpu: GpuContext;
  tuning?: KernelTuning;
  pipelines: PipelineCache;
  /** The `Step` uniform (pos, seed, draw): rewritten before each submission, so bind groups never change. */
  step: GPUBuffer;
  /** Uniform buffers made for recorded dispatches, destroyed with the graph. */
  owned: GPUBuffer[];
}

export const STEP_LAYOUT: UniformLayout = [
  ['pos', 'u32'],
  ['seed', 'u32'],
  ['draw', 'u32'],
  ['pad', 'u32'],
];

const MAX_GRID = 65535;

/** Spreads n workgroups over x and y: WebGPU caps each dimension at 65535. */
export function grid(n: number): [number, number, number] {
  if (n <= MAX_GRID) return [Math.max(1, n), 1, 1];
  return [MAX_GRID, Math.ceil(n / MAX_GRID), 1];
}

export function uniform(
  ctx: KernelContext,
  layout: UniformLayout,
  values: Record<string, number>,
  label: string,
): GPUBuffer {
  const buf = createUniformBuffer(ctx.gpu.device, layout, values, label);
  ctx.owned.push(buf);
  return buf;
}

export function makeDispatch(
  ctx: KernelContext,
  file: string,
  entry: string,
  defines: Record<string, boolean | number>,
  bindings: Record<number, GPUBuffer>,
  workgroups: [number, number, number],
): Dispatch {
  const { pipeline, name } = ctx.pipelines.get(file, entry, defines);
  const bindGroup = ctx.gpu.device.createBindGroup({
    label: name,
    layout: pipeline.getBindGroupLayout(0),
    entries: Object.entries(bindings).map(([binding, buffer]) => ({ binding: Number(binding), resource: { buffer } })),
  });
  return { name, pipeline, bindGroup, workgroups };
}

/** Records dispatches into one compute pass. */
export function encodeDispatches(encoder: GPUCommandEncoder, dispatches: readonly Dispatch[]): void {
  const pass = encoder.beginComputePass();
  // Each call is encoded and checked, in browsers sent to the GPU process: skip repeats.
  let pipeline: GPUComputePipeline | null = null;
  for (const d of dispatches) {
    if (d.pipeline !== pipeline) pass.setPipeline((pipeline = d.pipeline));
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(...d.workgroups);
  }
  pass.end();
}
