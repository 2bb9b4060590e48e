import { makeDispatch, type Dispatch, type KernelContext } from '../gpu/dispatch.ts';
import type { UniformLayout } from '../gpu/uniforms.ts';

/** Mirrors `struct Params` in shaders/sample.wgsl. */
export const SAMPLE_PARAMS: UniformLayout = [
  ['vocab', 'u32'],
  ['temperature', 'f32'],
  ['topK', 'u32'],
  ['topP', 'f32'],
  ['penalty', 'f32'],
  ['pad', 'u32'],
];

const WG = 256;
/** sample.wgsl's MAX_CHUNKS: the last stage keeps one offset per chunk in workgroup memory. */
const MAX_CHUNKS = 512;
/** Bytes of one `struct Chunk`: max, id, mass, then count and mass at each of sample.wgsl's 6 LEVELS. */
const CHUNK_SUMMARY_BYTES = 4 * (3 + 2 * 6);

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

/** GPU scratch of the token pick for one vocabulary size; see shaders/sample.wgsl. */
export interface PickBuffers {
  vocab: number;
  /**
   * Consecutive ids per thread of the chunk stages: a chunk is WG times as many. GPUs take 4, so that
   * the passes over the vocabulary spread over ~150 workgroups; CPU adapters take a few big chunks,
   * since they pay for each workgroup's barriers by switching between its threads.
   */
  perThread: number;
  /** Threshold searches cut their bracket in 7 per pass rather than halve it (GPUs: fewer passes, more comparisons). */
  multisection: boolean;
  /** [chunks] struct Chunk: per-chunk maxima, masses, and counts and masses above thresholds. */
  chunks: GPUBuffer;
  /** [chunks * WG * perThread] (weight bits, id) candidates, each chunk's in its own slots. */
  candidates: GPUBuffer;
  /** [ceil(vocab / 32)] u32 bit mask of the ids in context, for the repetition penalty. */
  penalized: GPUBuffer;
  bytes: number;
}

/** Chunks of the vocabulary on a CPU adapter: 1 to 2 measured fastest on SwiftShader with 2 cores (npm run bench:sampler). */
const CPU_CHUNKS = 2;

/** PickBuffers.perThread for this kind of adapter. */
export function pickPerThread(vocab: number, isCpu: boolean): number {
  return isCpu ? Math.ceil(vocab / (WG * CPU_CHUNKS)) : 4;
}

/** The pick's buffers; `perThread` (benchmarks, tests) overrides the adapter's choice. */
export function createPickBuffers(device: GPUDevice, vocab: number, isCpu: boolean, perThread = pickPerThread(vocab, isCpu)): PickBuffers {
  const chunk = WG * perThread;
  const chunks = Math.ceil(vocab / chunk);
  if (chunks > MAX_CHUNKS) throw new RangeError(`a vocabulary of ${vocab} tokens is more than the GPU sampler's ${MAX_CHUNKS * chunk}`);
  const storage = (label: string, size: number, extra = 0) =>
    device.createBuffer({ label, size, usage: GPUBufferUsage.STORAGE | extra });
  const sizes = [chunks * CHUNK_SUMMARY_BYTES, chunks * chunk * 8, Math.ceil(vocab / 32) * 4];
  return {
    vocab,
    perThread,
    multisection: !isCpu,
    chunks: storage('sampler chunks', sizes[0]),
    candidates: storage('sampler candidates', sizes[1]),
    penalized: storage('penalized ids', sizes[2], GPUBufferUsage.COPY_DST),
    bytes: sizes.reduce((a, b) => a + b, 0),
  };
}

/** The penalty mask's words for a set of ids: bit i of the mask is id i. */
export function penaltyMask(vocab: number, ids: Iterable<number>): Uint32Array {
  const mask = new Uint32Array(Math.ceil(vocab / 32));
  for (const id of ids) if (id >= 0 && id < vocab) mask[id >>> 5] |= 1 << (id & 31);
  return mask;
}

function chunkGrid(s: PickBuffers): [number, number, number] {
  return [Math.ceil(s.vocab / (WG * s.perThread)), 1, 1];
}

/**
 * Greedy pick: result[0] = argmax of the logits after the repetition penalty, the lowest id on ties.
 * Two launches. `params` is laid out as SAMPLE_PARAMS (only vocab and penalty are read); scratch.penalized
 * holds the ids already in the context.
 */
export function argmax(ctx: KernelContext, logits: GPUBuffer, result: GPUBuffer, params: GPUBuffer, scratch: PickBuffers): Dispatch[] {
  const defines = { WG, PER_THREAD: scratch.perThread };
  return [
    makeDispatch(ctx, 'sample.wgsl', 'chunk_max', defines, { 0: logits, 2: params, 4: scratch.penalized, 5: scratch.chunks }, chunkGrid(scratch)),
    makeDispatch(ctx, 'sample.wgsl', 'argmax', defines, { 1: result, 2: params, 5: scratch.chunks }, [1, 1, 1]),
  ];
}

/**
 * Sampled pick, four launches. `params` is a uniform laid out as SAMPLE_PARAMS for scratch.vocab,
 * rewritten when the settings change; scratch.penalized holds the ids already in the context.
 */
export function sample(ctx: KernelContext, logits: GPUBuffer, result: GPUBuffer, params: GPUBuffer, scratch: PickBuffers): Dispatch[] {
  // The sums in registers where subgroup lanes are known to follow the thread index, in subgroups of
  // 4 or more (sample.wgsl keeps WG / 4 partial sums per level).
  const defines = { WG, PER_THREAD: scratch.perThread, SAMPLE: true, SUBGROUPS: ctx.gpu.subgroupRowLanes >= 4, MULTISECTION: scratch.multisection };
  const { chunks, candidates, penalized } = scratch;
  const grid = chunkGrid(scratch);
  return [
    makeDispatch(ctx, 'sample.wgsl', 'chunk_max', defines, { 0: logits, 2: params, 4: penalized, 5: chunks }, grid),
    makeDispatch(ctx, 'sample.wgsl', 'chunk_weights', defines, { 0: logits, 2: params, 4: penalized, 5: chunks }, grid),
    makeDispatch(ctx, 'sample.wgsl', 'chunk_gather', defines, { 0: logits, 2: params, 5: chunks, 6: candidates }, grid),
    makeDispatch(ctx, 'sample.wgsl', 'sample', defines, { 0: logits, 1: result, 2: params, 3: ctx.step, 5: chunks, 6: candidates }, [1, 1, 1]),
  ];
}
