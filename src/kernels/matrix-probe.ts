import type { GpuContext } from '../gpu/device.ts';
import { encodeDispatches, STEP_LAYOUT, type KernelContext } from '../gpu/dispatch.ts';
import { PipelineCache } from '../gpu/pipelines.ts';
import { createUniformBuffer } from '../gpu/uniforms.ts';
import { checked } from '../gpu/validation.ts';
import { createF32Buffer, uploadWeight } from '../gpu/weights.ts';
import { matmul } from './matmul.ts';

// Two output tiles each way (64-wide: a workgroup's in a 2 x 2 grid of subgroups), three K steps.
const T = 72;
const N = 68;
const K = 48;

/** Probe inputs: small integers plus 2^-12 (x) and 2^-11 (w), so that the lo halves carry part of every value. */
const xAt = (t: number, k: number) => ((t * 7 + k * 3) % 11) - 5 + 2 ** -12;
const wAt = (n: number, k: number) => ((n * 5 + k * 13) % 9) - 4 + 2 ** -11;

/**
 * Matrix units are experimental in WebGPU: before a model relies on them, one small GEMM runs on them
 * (shaders/matmul.wgsl gemm_sgmat) and is compared with its exact answer. Where the workgroups of
 * several subgroups fail it, one subgroup per workgroup is tried; where that fails to compile, to
 * run, or to agree within the f32 tolerance too, the engine prefills with the tiled f32 GEMM
 * (subgroupMatrix cleared). Either way the console says why. CPU adapters prefill with the GEMV:
 * nothing to probe.
 */
export async function probeMatrixUnits(gpu: GpuContext): Promise<GpuContext> {
  if (!gpu.subgroupMatrix || gpu.isCpu) return gpu;
  const failed = await probeGemm(gpu);
  if (!failed) return gpu;
  const say = (why: string, fallback: string) => console.warn(`${gpu.adapterName}: the GEMM on matrix units failed its probe (${why}); ${fallback}`);
  if (gpu.subgroupMatrix.subgroupId) {
    const single = { ...gpu, subgroupMatrix: { ...gpu.subgroupMatrix, subgroupId: false } };
    const singleFailed = await probeGemm(single);
    if (!singleFailed) {
      say(`2 x 2 subgroups: ${failed}`, 'it runs with one subgroup per workgroup');
      return single;
    }
    say(`2 x 2 subgroups: ${failed}; one subgroup: ${singleFailed}`, 'prefill uses the tiled f32 GEMM');
  } else {
    say(failed, 'prefill uses the tiled f32 GEMM');
  }
  return { ...gpu, subgroupMatrix: null };
}

/** Runs the probe GEMM on the context's matrix units: null where it agrees with the exact answer, else what went wrong. */
async function probeGemm(gpu: GpuContext): Promise<string | null> {
  const { device } = gpu;
  const step = createUniformBuffer(device, STEP_LAYOUT, { pos: 0, seed: 0, draw: 0, pad: 0 }, 'probe step');
  const ctx: KernelContext = { gpu, pipelines: new PipelineCache(device), step, owned: [step] };
  const x = Float32Array.from({ length: T * K }, (_, i) => xAt(Math.floor(i / K), i % K));
  const w = Float32Array.from({ length: N * K }, (_, i) => wAt(Math.floor(i / K), i % K));
  const read = device.createBuffer({ label: 'matrix probe read', size: T * N * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const buffers: GPUBuffer[] = [read];
  try {
    const weight = await uploadWeight(device, { name: 'matrix probe', dtype: 'f32', rows: N, cols: K }, async (o, n) => new Uint8Array(w.buffer, o, n), {
      maxBindingBytes: gpu.maxBindingBytes,
    });
    buffers.push(...weight.shards.map((s) => s.buffer));
    const xBuf = createF32Buffer(device, 'matrix probe x', x);
    const y = createF32Buffer(device, 'matrix probe y', new Float32Array(T * N), GPUBufferUsage.COPY_SRC);
    buffers.push(xBuf, y);
    await checked(device, 'the matrix-unit GEMM probe', () => {
      const dispatches = matmul(ctx, { x: xBuf, weight, y, T, kind: 'gemm' });
      const enc = device.createCommandEncoder();
      encodeDispatches(enc, dispatches);
      enc.copyBufferToBuffer(y, 0, read, 0, T * N * 4);
      device.queue.submit([enc.finish()]);
    });
    await read.mapAsync(GPUMapMode.READ);
    const got = new Float32Array(read.getMappedRange().slice(0));
    read.unmap();
    for (let t = 0; t < T; t++) {
      for (let n = 0; n < N; n++) {
        let want = 0;
        let scale = 0;
        for (let k = 0; k < K; k++) {
          want += xAt(t, k) * wAt(n, k);
          scale += Math.abs(xAt(t, k) * wAt(n, k));
        }
        if (!(Math.abs(got[t * N + n] - want) <= 1e-5 * scale)) return `output [${t}, ${n}] is ${got[t * N + n]}, not ${want}`;
      }
    }
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    for (const b of [...buffers, ...ctx.owned]) b.destroy();
  }
}
