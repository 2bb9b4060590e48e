/**
 * Runs single kernels on this page's WebGPU device for the Playwright kernel tests: inputs arrive as
 * plain arrays from the test (which holds the float64 reference), outputs go back the same way.
 */
import { createGpu, type GpuContext } from '../../src/gpu/device.ts';
import { encodeDispatches, STEP_LAYOUT, type Dispatch, type KernelContext } from '../../src/gpu/dispatch.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { createUniformBuffer, packUniforms } from '../../src/gpu/uniforms.ts';
import { createF32Buffer, uploadWeight, type GpuWeight } from '../../src/gpu/weights.ts';
import { checked } from '../../src/gpu/validation.ts';
import type { WeightDtype } from '../../src/formats/dtypes.ts';
import { matmul, qkvMatmul } from '../../src/kernels/matmul.ts';
import { rmsNorm } from '../../src/kernels/norm.ts';
import { rope } from '../../src/kernels/rope.ts';
import { attention, attentionPartsSize } from '../../src/kernels/attention.ts';
import { f32ToF16Bits } from '../../src/formats/numeric.ts';
import { siluMul } from '../../src/kernels/silu-mul.ts';
import { roundActivations } from '../../src/kernels/activation-rounding.ts';
import { embedding } from '../../src/kernels/embedding.ts';
import { argmax, createPickBuffers, penaltyMask, sample, SAMPLE_PARAMS, type SamplingParams } from '../../src/kernels/sample.ts';

let gpuPromise: Promise<GpuContext> | undefined;
/** Pages use navigator.gpu; Node tests hand in Dawn's GPU (useGpu). */
let gpuSource: GPU | undefined;
// One cache for the page, as the engine keeps one per device: a test that runs a kernel many times
// (the sampler, draw by draw) compiles it once, and SwiftShader's compiles take about a second.
let pipelines: PipelineCache | undefined;

/** Runs the kernels on this GPU object's adapter (Dawn's, in Node) from now on. */
export function useGpu(gpu: GPU): void {
  gpuSource = gpu;
  gpuPromise = undefined;
  pipelines = undefined;
}

async function context(step: { pos?: number; seed?: number; draw?: number } = {}): Promise<KernelContext> {
  gpuPromise ??= createGpu({ gpu: gpuSource });
  const gpu = await gpuPromise;
  const stepBuf = createUniformBuffer(gpu.device, STEP_LAYOUT, { pos: step.pos ?? 0, seed: step.seed ?? 0, draw: step.draw ?? 0, pad: 0 }, 'step');
  pipelines ??= new PipelineCache(gpu.device);
  return { gpu, pipelines, step: stepBuf, owned: [stepBuf] };
}

function f32(ctx: KernelContext, data: number[]): GPUBuffer {
  return createF32Buffer(ctx.gpu.device, 'input', new Float32Array(data), GPUBufferUsage.COPY_SRC);
}

async function run(ctx: KernelContext, dispatches: Dispatch[], out: GPUBuffer, count: number, asU32 = false): Promise<number[]> {
  const { device } = ctx.gpu;
  const read = device.createBuffer({ size: count * 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  await checked(device, dispatches.map((d) => d.name).join(', '), () => {
    const enc = device.createCommandEncoder();
    encodeDispatches(enc, dispatches);
    enc.copyBufferToBuffer(out, 0, read, 0, count * 4);
    device.queue.submit([enc.finish()]);
  });
  await read.mapAsync(GPUMapMode.READ);
  const result = Array.from(asU32 ? new Uint32Array(read.getMappedRange()) : new Float32Array(read.getMappedRange()));
  read.destroy();
  for (const b of ctx.owned) b.destroy();
  return result;
}

/** The GPU the kernels run on (Node tests: a second device or Dawn instance of their own can crash lavapipe). */
export async function harnessGpu(): Promise<GpuContext> {
  return (await context()).gpu;
}

export async function adapterInfo() {
  const g = (await context()).gpu;
  return {
    name: g.adapterName, f16: g.hasF16, subgroups: g.hasSubgroups, subgroupRowLanes: g.subgroupRowLanes, maxBindingBytes: g.maxBindingBytes,
    subgroupMatrix: g.subgroupMatrix,
  };
}

/** The pipeline variant a matmul of a [rows, cols] f32 weight would run: the GEMV with this many threads per row, or the GEMM. */
export async function matmulVariant(c: { cols: number; threadsPerRow?: number; kind?: 'gemv' | 'gemm'; T?: number; gemm?: 'auto' | 'tiled'; matrixGrid?: 1 | 2 }) {
  const ctx = { ...(await context()), tuning: { gemm: c.gemm, matrixGrid: c.matrixGrid } };
  const T = c.T ?? 1;
  const weight = await upload(ctx, { dtype: 'f32', rows: 1, cols: c.cols, weightBytes: [], x: [], T, kind: c.kind ?? 'gemv' }, new Uint8Array(4 * c.cols));
  const [d] = matmul(ctx, { x: f32(ctx, new Array(T * c.cols).fill(1)), weight, y: f32(ctx, new Array(T).fill(0)), T, kind: c.kind ?? 'gemv', threadsPerRow: c.threadsPerRow });
  for (const b of ctx.owned) b.destroy();
  return d.name;
}

export interface MatmulCase {
  dtype: WeightDtype;
  weightBytes: number[];
  rows: number;
  cols: number;
  x: number[];
  T: number;
  bias?: number[];
  kind: 'gemv' | 'gemm';
  accumulate?: boolean;
  yInit?: number[];
  /** Forces the weight to be split into shards of at most this many bytes. */
  maxBindingBytes?: number;
  /** Stored column k multiplies x[columnOrder[k]]. */
  columnOrder?: number[];
  /** GEMV threads per row: the GPU choice can be tested on a CPU adapter. */
  threadsPerRow?: number;
  /** GEMM output tile side. */
  gemmTile?: 32 | 64;
  /** 'tiled': the f32 GEMM even where the device has matrix units. */
  gemm?: 'auto' | 'tiled';
  /** Output tile side of one subgroup in the GEMM on matrix units. */
  matrixTile?: 16 | 32;
  /** 1: one subgroup per workgroup in the GEMM on matrix units, rather than the device's default. */
  matrixGrid?: 1 | 2;
  /** The up projection, stored like the weight: y = silu(x W^T) * (x up^T) in one SwiGLU GEMV. */
  upBytes?: number[];
  /** RMSNorm x with this gain first (GEMV only). */
  normGain?: number[];
  normEps?: number;
}

function upload(ctx: KernelContext, c: MatmulCase, bytes: Uint8Array): Promise<GpuWeight> {
  return uploadWeight(
    ctx.gpu.device,
    { name: 'w', dtype: c.dtype, rows: c.rows, cols: c.cols },
    async (o, n) => bytes.subarray(o, o + n),
    {
      maxBindingBytes: c.maxBindingBytes ?? ctx.gpu.maxBindingBytes,
      bias: c.bias ? new Float32Array(c.bias) : undefined,
      columnOrder: c.columnOrder ? new Uint32Array(c.columnOrder) : undefined,
      chunkBytes: 100,
    },
  );
}

export async function runMatmul(c: MatmulCase): Promise<number[]> {
  const ctx = { ...(await context()), tuning: { gemmTile: c.gemmTile, gemm: c.gemm, matrixTile: c.matrixTile, matrixGrid: c.matrixGrid } };
  const weight = await upload(ctx, c, new Uint8Array(c.weightBytes));
  const up = c.upBytes && (await upload(ctx, c, new Uint8Array(c.upBytes)));
  const y = f32(ctx, c.yInit ?? new Array(c.T * c.rows).fill(0));
  const norm = c.normGain && { gain: f32(ctx, c.normGain), eps: c.normEps ?? 1e-6 };
  const ds = matmul(ctx, { x: f32(ctx, c.x), weight, up, norm, y, T: c.T, kind: c.kind, accumulate: c.accumulate, threadsPerRow: c.threadsPerRow });
  const out = await run(ctx, ds, y, c.T * c.rows);
  return [weight.shards.length, ...out];
}

export async function runRmsNorm(c: {
  x: number[]; weight: number[]; rows: number; n: number; eps: number; inPlace: boolean; roundGroup?: number; roundFormat?: 'e4m3' | 'int8'; roundThreshold?: number;
}) {
  const ctx = await context();
  const x = f32(ctx, c.x);
  const y = c.inPlace ? undefined : f32(ctx, new Array(c.x.length).fill(0));
  const rounding = c.roundGroup === undefined ? undefined : { format: c.roundFormat ?? 'e4m3', group: c.roundGroup, threshold: c.roundThreshold };
  const d = rmsNorm(ctx, { x, weight: f32(ctx, c.weight), y, rows: c.rows, n: c.n, eps: c.eps, rounding });
  return run(ctx, [d], y ?? x, c.x.length);
}

/**
 * q, k and v projections as one GEMV at cache position `pos`: k and v land in cache-like buffers of
 * `rows` rows at row pos (kvOffsetPerPos = their row length), q in its own buffer. With `rope`, q and
 * k come out rotated, and with rope.f16Cache k and v go to a half-precision cache (returned as halves' bits).
 */
export async function runQkv(c: {
  dtype: WeightDtype; q: number[]; k: number[]; v: number[]; bias?: number[][]; nQ: number; nKv: number; cols: number;
  x: number[]; T: number; pos: number; rows: number; threadsPerRow: number; normGain?: number[];
  rope?: { cosSin: number[]; headDim: number; f16Cache: boolean };
}) {
  const ctx = await context({ pos: c.pos });
  const weight = (name: string, bytes: number[], rows: number, bias?: number[]) =>
    uploadWeight(ctx.gpu.device, { name, dtype: c.dtype, rows, cols: c.cols }, async (o, n) => new Uint8Array(bytes).subarray(o, o + n), {
      maxBindingBytes: ctx.gpu.maxBindingBytes,
      bias: bias && new Float32Array(bias),
    });
  const [wq, wk, wv] = await Promise.all([weight('q', c.q, c.nQ, c.bias?.[0]), weight('k', c.k, c.nKv, c.bias?.[1]), weight('v', c.v, c.nKv, c.bias?.[2])]);
  const q = f32(ctx, new Array(c.T * c.nQ).fill(0));
  const f16Cache = c.rope?.f16Cache ?? false;
  // NaN halves (f16) or 7s (f32): rows the kernel must not touch stay visible.
  const cache = () => (f16Cache ? u32(ctx, new Array((c.rows * c.nKv) / 2).fill(0x7e007e00)) : f32(ctx, new Array(c.rows * c.nKv).fill(7)));
  const [k, v] = [cache(), cache()];
  const norm = c.normGain && { gain: f32(ctx, c.normGain), eps: 1e-6 };
  const rope = c.rope && { cosSin: f32(ctx, c.rope.cosSin), headDim: c.rope.headDim, f16Cache };
  const d = qkvMatmul(ctx, { x: f32(ctx, c.x), norm, wq, wk, wv, q, k, v, T: c.T, kvOffsetPerPos: c.nKv, threadsPerRow: c.threadsPerRow, rope });
  const gotQ = await run(ctx, [d], q, c.T * c.nQ);
  const read = async (b: GPUBuffer) =>
    f16Cache ? (await run(ctx, [], b, (c.rows * c.nKv) / 2, true)).flatMap((w) => [w & 0xffff, w >>> 16]) : run(ctx, [], b, c.rows * c.nKv);
  return { name: d.name, q: gotQ, k: await read(k), v: await read(v) };
}

/**
 * RoPE on q and k at cache position `pos`. With `v`, the rotated keys and the values go to a
 * half-precision cache of `rows` rows instead (returned as halves' bits after q).
 */
export async function runRope(c: {
  q: number[]; k: number[]; v?: number[]; cosSin: number[]; T: number; nHeads: number; nKvHeads: number; headDim: number; pos: number; rows?: number;
  qkNorm?: { q: number[]; k: number[]; eps: number };
}) {
  const ctx = await context({ pos: c.pos });
  const q = f32(ctx, c.q);
  const k = f32(ctx, c.k);
  const kvDim = c.nKvHeads * c.headDim;
  // NaN halves: rows the kernel must not touch stay visible.
  const cache = () => u32(ctx, new Array(((c.rows ?? 0) * kvDim) / 2).fill(0x7e007e00));
  const f16Cache = c.v ? { v: f32(ctx, c.v), kCache: cache(), vCache: cache() } : undefined;
  const qkNorm = c.qkNorm && { q: f32(ctx, c.qkNorm.q), k: f32(ctx, c.qkNorm.k), eps: c.qkNorm.eps };
  const d = rope(ctx, { q, k, cosSin: f32(ctx, c.cosSin), T: c.T, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim, f16Cache, qkNorm });
  const gotQ = await run(ctx, [d], q, c.q.length);
  if (!f16Cache) return { q: gotQ, k: await run(ctx, [], k, c.k.length) };
  const halves = async (b: GPUBuffer) => (await run(ctx, [], b, (c.rows! * kvDim) / 2, true)).flatMap((w) => [w & 0xffff, w >>> 16]);
  return { q: gotQ, kCache: await halves(f16Cache.kCache), vCache: await halves(f16Cache.vCache) };
}

export async function runAttention(c: {
  q: number[]; k: number[]; v: number[]; T: number; pos: number; nHeads: number; nKvHeads: number; headDim: number; kvF16?: boolean; splits?: number;
  /** false: reduce in workgroup memory even where the adapter has subgroups. */
  subgroups?: boolean;
}) {
  const ctx = await context({ pos: c.pos });
  if (c.subgroups === false) ctx.gpu = { ...ctx.gpu, subgroupRowLanes: 0 };
  const out = f32(ctx, new Array(c.q.length).fill(0));
  // A half-precision cache: pairs of halves packed into u32 words, low half first.
  const cache = (x: number[]) =>
    c.kvF16 ? u32(ctx, Array.from({ length: x.length / 2 }, (_, i) => f32ToF16Bits(x[2 * i]) | (f32ToF16Bits(x[2 * i + 1]) << 16))) : f32(ctx, x);
  const splits = c.splits ?? 1;
  const parts = f32(ctx, new Array(attentionPartsSize(c.T, c.nHeads, c.headDim, splits)).fill(0));
  const ds = attention(ctx, { q: f32(ctx, c.q), kCache: cache(c.k), vCache: cache(c.v), out, T: c.T, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim, kvF16: c.kvF16, splits, parts });
  return run(ctx, ds, out, c.q.length);
}

function u32(ctx: KernelContext, data: number[]): GPUBuffer {
  const buffer = ctx.gpu.device.createBuffer({ label: 'u32 input', size: data.length * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  ctx.gpu.device.queue.writeBuffer(buffer, 0, new Uint32Array(data));
  return buffer;
}

export async function runSiluMul(c: { gate: number[]; up: number[] }) {
  const ctx = await context();
  const gate = f32(ctx, c.gate);
  return run(ctx, [siluMul(ctx, gate, f32(ctx, c.up), c.gate.length)], gate, c.gate.length);
}

export async function runRoundActivations(c: { x: number[]; rows: number; n: number; group: number; format: 'e4m3' | 'int8'; threshold?: number; gpuLayout?: boolean }) {
  const ctx = await context();
  // The workgroup size a GPU takes, on any adapter.
  if (c.gpuLayout) ctx.gpu = { ...ctx.gpu, isCpu: false };
  const x = f32(ctx, c.x);
  return run(ctx, [roundActivations(ctx, { x, rows: c.rows, n: c.n, group: c.group, format: c.format, threshold: c.threshold })], x, c.x.length);
}

export async function runEmbedding(c: { dtype: WeightDtype; weightBytes: number[]; rows: number; cols: number; tokens: number[]; maxBindingBytes?: number }) {
  const ctx = await context();
  const bytes = new Uint8Array(c.weightBytes);
  const table = await uploadWeight(ctx.gpu.device, { name: 'embed', dtype: c.dtype, rows: c.rows, cols: c.cols }, async (o, n) => bytes.subarray(o, o + n), {
    maxBindingBytes: c.maxBindingBytes ?? ctx.gpu.maxBindingBytes,
  });
  const tokens = ctx.gpu.device.createBuffer({ size: c.tokens.length * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  ctx.gpu.device.queue.writeBuffer(tokens, 0, new Uint32Array(c.tokens));
  const x = f32(ctx, new Array(c.tokens.length * c.cols).fill(0));
  return run(ctx, embedding(ctx, table, tokens, x, c.tokens.length), x, c.tokens.length * c.cols);
}

export async function runSample(c: {
  logits: number[];
  greedy: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  penalty?: number;
  penalized?: number[];
  seed?: number;
  draws: number[];
  /** false: reduce in workgroup memory even where the adapter has subgroups. */
  subgroups?: boolean;
  /** The pick laid out as for a CPU adapter (true: a few big chunks, halving searches) or a GPU (false: chunks of 1024, searches in sevenths); default: this adapter's. */
  cpuLayout?: boolean;
}): Promise<number[]> {
  const vocab = c.logits.length;
  const gpu = (await context()).gpu;
  // One scratch for every draw, as the engine keeps one: each pick must ignore what the last left.
  const scratch = createPickBuffers(gpu.device, vocab, c.cpuLayout ?? gpu.isCpu);
  const pick = async (logits: number[], p: Partial<SamplingParams> & { seed?: number; draw?: number }) => {
    const ctx = await context({ seed: p.seed ?? 0, draw: p.draw ?? 0 });
    if (c.subgroups === false) ctx.gpu = { ...ctx.gpu, subgroupRowLanes: 0 };
    const input = f32(ctx, logits);
    const result = ctx.gpu.device.createBuffer({ size: 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    ctx.owned.push(input, result);
    const params = createUniformBuffer(ctx.gpu.device, SAMPLE_PARAMS, {
      vocab,
      temperature: p.temperature ?? 1,
      topK: p.topK ?? 0,
      topP: p.topP ?? 1,
      penalty: p.repetitionPenalty ?? 1,
      pad: 0,
    }, 'sample params');
    ctx.owned.push(params);
    return (await run(ctx, c.greedy ? argmax(ctx, input, result, params, scratch) : sample(ctx, input, result, params, scratch), result, 1, true))[0];
  };
  // An earlier pick over equal logits: where they fit, every candidate slot then holds weight 1.
  if (!c.greedy) await pick(new Array(vocab).fill(0), { topP: 0.99 });
  gpu.device.queue.writeBuffer(scratch.penalized, 0, penaltyMask(vocab, c.penalized ?? []));
  const picks: number[] = [];
  for (const draw of c.draws) {
    picks.push(await pick(c.logits, { temperature: c.temperature, topK: c.topK, topP: c.topP, repetitionPenalty: c.penalty, seed: c.seed, draw }));
  }
  for (const b of [scratch.chunks, scratch.candidates, scratch.penalized]) b.destroy();
  return picks;
}

export { packUniforms };
