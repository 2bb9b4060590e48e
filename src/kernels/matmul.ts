import { grid, makeDispatch, uniform, type Dispatch, type KernelContext, type KernelTuning } from '../gpu/dispatch.ts';
import type { UniformLayout } from '../gpu/uniforms.ts';
import type { GpuWeight } from '../gpu/weights.ts';
import type { GpuContext, SubgroupMatrixShape } from '../gpu/device.ts';
import { affineBits, affineHalfHeader, DTYPE_LAYOUTS, isAffineDtype, isBnb4BitDtype, isFloatDtype, isZeroPointDtype, zeroPointBits, type WeightDtype } from '../formats/dtypes.ts';
import { gridOf } from '../formats/iq-grids.ts';
import { iqGridBinding } from './iq-grid.ts';

/** Mirrors `struct Params` in shaders/matmul.wgsl. */
export const MATMUL_PARAMS: UniformLayout = [
  ['T', 'u32'],
  ['K', 'u32'],
  ['N', 'u32'],
  ['rowBytes', 'u32'],
  ['colOffset', 'u32'],
  ['yStride', 'u32'],
  ['yOffset', 'u32'],
  ['yOffsetPerPos', 'u32'],
  ['normEps', 'f32'],
  ['kvN', 'u32'],
  ['headDim', 'u32'],
];

export const GEMV_WG = 64;
/** Below this many tokens the row-per-workgroup GEMV beats the tiled GEMM. */
export const GEMM_MIN_TOKENS = 8;

/**
 * Threads per weight row in the GEMV. On GPUs, enough threads that each reads about 64 values of a
 * row (up to a warp of 32), so a row is read in wide contiguous sweeps. On CPU adapters one thread per
 * row: 64 rows per workgroup keeps the workgroup count (the cost there) 32 times lower.
 */
export function gemvThreadsPerRow(K: number, isCpu = false): number {
  if (isCpu) return 1;
  let tpr = 1;
  while (tpr < 32 && tpr * 64 < K) tpr *= 2;
  return tpr;
}

/**
 * Types whose 32-value blocks share one multiplier, which weights.wgsl keeps out of `wblock` and
 * returns from their own `wblock_scale` (so do the zero-point types, whose `wblock` gives q - z);
 * every other type gets the default scale of 1.
 */
const BLOCK_SCALE_TYPES: ReadonlySet<WeightDtype> = new Set(['q8_0', 'q4_0', 'q5_0', 'iq4_nl', 'iq4_xs', 'iq2_xxs', 'iq3_xxs', 'iq3_s', 'iq1_s', 'nf4_64', 'fp4_64', 'f8e4m3_128', 'i8_128']);

/**
 * The weights.wgsl flags for a type: WEIGHT_<DTYPE>, WEIGHT_Q4Z / WEIGHT_Q8Z with its block length, or WEIGHT_QA
 * with its bits, group length and QA_HALF (f16 scale and bias); the IQ4
 * types also bring IQ4 (their shared level table), Q5_0 and Q5_1 Q5 (their shared 5-bit unpacking),
 * FP8 and INT8 SCALED8 (their shared block of 128 codes and a scale), NF4 and FP4 BNB4 (their
 * shared block of 64 nibbles and an absmax, each with its own code book),
 * the grid i-quants IQ_GRID (the grid binding, iqGridBinding()), the zero-point types and those of
 * BLOCK_SCALE_TYPES BLOCK_SCALE.
 */
export function weightDefines(dtype: WeightDtype): Record<string, boolean | number> {
  if (isZeroPointDtype(dtype)) {
    const bits = zeroPointBits(dtype);
    return { [`WEIGHT_Q${bits}Z`]: true, [`Q${bits}Z_GROUP`]: DTYPE_LAYOUTS[dtype].blockElems, BLOCK_SCALE: true };
  }
  if (isAffineDtype(dtype)) return { WEIGHT_QA: true, QA_BITS: affineBits(dtype), QA_GROUP: DTYPE_LAYOUTS[dtype].blockElems, QA_HALF: affineHalfHeader(dtype) };
  return {
    [`WEIGHT_${dtype.toUpperCase()}`]: true,
    ...(dtype.startsWith('iq4') ? { IQ4: true } : {}),
    ...(dtype.startsWith('q5_') && !dtype.endsWith('_k') ? { Q5: true } : {}),
    ...(gridOf(dtype) ? { IQ_GRID: true } : {}),
    ...(dtype === 'f8e4m3_128' || dtype === 'i8_128' ? { SCALED8: true } : {}),
    ...(isBnb4BitDtype(dtype) ? { BNB4: true } : {}),
    ...(BLOCK_SCALE_TYPES.has(dtype) ? { BLOCK_SCALE: true } : {}),
  };
}

export interface MatmulArgs {
  x: GPUBuffer; //            [T, K] f32
  weight: GpuWeight; //       [N, K] stored
  y: GPUBuffer; //            [.., yStride] f32
  T: number;
  /** Elements between rows of y; N by default. */
  yStride?: number;
  yOffset?: number;
  /** Per cache position: lets k/v projections write straight into the KV cache row `step.pos`. */
  yOffsetPerPos?: number;
  /** y += x W^T instead of y = x W^T (residual connection). */
  accumulate?: boolean;
  kind?: 'gemv' | 'gemm';
  /** GEMV threads per weight row; by default gemvThreadsPerRow() for this adapter (tests set both kinds). */
  threadsPerRow?: number;
  /**
   * SwiGLU in one pass: `weight` is the gate projection, this the up projection, and
   * y = silu(x gate^T) * (x up^T). GEMV only, and only where swiGluFusable() says so.
   */
  up?: GpuWeight;
  /**
   * RMSNorm of x (this gain and epsilon) applied on the fly: y = W rmsnorm(x). GEMV only; fusesNorm()
   * says when it pays.
   */
  norm?: { gain: GPUBuffer; eps: number };
}

/** Whether a matmul of T tokens runs the GEMV (which can fuse a norm and SwiGLU) or the tiled GEMM. */
function usesGemv(ctx: KernelContext, T: number): boolean {
  // CPU adapters pay per workgroup barrier: the tiled GEMM's two barriers per K step cost more there
  // than the GEMV's repeated weight reads.
  return T < GEMM_MIN_TOKENS || ctx.gpu.isCpu;
}

/**
 * Whether the GEMV should normalize its own input (MatmulArgs.norm) for T tokens: when decoding, it
 * is bound by weight reads and the sums of squares come free; a CPU adapter's prefill GEMV is bound
 * by arithmetic, which the per-row sums of squares would nearly double.
 */
export function fusesNorm(T: number): boolean {
  return T < GEMM_MIN_TOKENS;
}

/** The GEMV addresses up rows past 2^31 bytes of gate rows (shaders/matmul.wgsl UP_BYTE). */
const GLU_MAX_SHARD_BYTES = 2 ** 31;

/** Gate and up stored alike (type, shape, row split across bindings, no column order or bias). */
function storedAlike(gate: GpuWeight, up: GpuWeight): boolean {
  return (
    gate.dtype === up.dtype &&
    gate.cols === up.cols &&
    gate.rows === up.rows &&
    !gate.inputOrder &&
    !up.inputOrder &&
    gate.shards.length === up.shards.length &&
    gate.shards.every((s, i) => s.rowStart === up.shards[i].rowStart && s.nRows === up.shards[i].nRows && !s.bias && !up.shards[i].bias) &&
    gate.shards.every((s) => s.nRows * gate.rowBytes < GLU_MAX_SHARD_BYTES)
  );
}

/** Whether gate and up run as one SwiGLU GEMV for T tokens: the GEMV is what runs, and they are stored alike. */
export function swiGluFusable(ctx: KernelContext, T: number, gate: GpuWeight, up: GpuWeight): boolean {
  return usesGemv(ctx, T) && storedAlike(gate, up);
}

/** Output tile side of the tiled prefill GEMM: 32, or 64 where the engine's tuning says (bench --gemm-tile). */
export function gemmTile(ctx: KernelContext): number {
  return ctx.tuning?.gemmTile ?? 32;
}

/**
 * Output tile side of one subgroup in the subgroup-matrix GEMM: 32 by default, 2 x 2 fragments on
 * 16 x 16 matrix units (NVIDIA), 4 x 4 on 8 x 8 ones (lavapipe). Each fragment has two f32
 * accumulators (hi and cross products): 64 registers a thread on a 32-wide subgroup. 16 (tuning)
 * gives lavapipe's tests the 2 x 2 fragments a GPU runs.
 */
function matrixTile(tuning?: KernelTuning): number {
  return tuning?.matrixTile ?? 32;
}

/**
 * Bytes of workgroup memory gemm_sgmat takes, as WebGPU counts them against the limit (each variable
 * rounded up to 16): four tiles of staged halves (rows of 24), a result fragment per subgroup, the
 * range flag.
 */
export function sgmatWorkgroupBytes(sg: SubgroupMatrixShape, frags: number, grid: number): number {
  const stagedRows = 2 * grid * frags * (sg.M + sg.N);
  return stagedRows * 24 * 2 + grid * grid * sg.M * sg.N * 4 + 16;
}

/**
 * Subgroups per side of a workgroup's tile on matrix units: 2 where WGSL's subgroup_id is there and
 * the device allows the threads and the workgroup memory, unless tuning asks for 1. Staging bounds
 * the kernel, and in a 2 x 2 grid each staged input feeds twice as many fragments.
 */
function matrixGrid(gpu: GpuContext, sg: SubgroupMatrixShape, frags: number, tuning?: KernelTuning): 1 | 2 {
  const limits = gpu.device.limits;
  const fits = limits.maxComputeInvocationsPerWorkgroup >= 4 * sg.subgroupSize && limits.maxComputeWorkgroupStorageSize >= sgmatWorkgroupBytes(sg, frags, 2);
  return tuning?.matrixGrid !== 1 && sg.subgroupId && fits ? 2 : 1;
}

/**
 * The GEMM on the device's matrix units, where it has them and tuning does not ask for the tiled
 * one: their shape, one subgroup's tile side and its fragments per side, and the grid of subgroups.
 */
function matrixLayout(gpu: GpuContext, tuning?: KernelTuning): { sg: SubgroupMatrixShape; side: number; frags: number; grid: 1 | 2 } | null {
  const sg = tuning?.gemm === 'tiled' ? null : gpu.subgroupMatrix;
  if (!sg) return null;
  const side = matrixTile(tuning);
  const frags = side / Math.max(sg.M, sg.N);
  return { sg, side, frags, grid: matrixGrid(gpu, sg, frags, tuning) };
}

/** Which prefill GEMM runs, in words (the bench's table). */
export function describePrefillGemm(gpu: GpuContext, tuning?: KernelTuning): string {
  if (gpu.isCpu) return 'none (CPU adapters prefill with the GEMV)';
  const m = matrixLayout(gpu, tuning);
  if (m) {
    const { sg, side, grid } = m;
    const tiles = grid === 1 ? `${side}x${side} tiles` : `${grid * side}x${grid * side} tiles of ${grid}x${grid} subgroups`;
    return `matrix units ${sg.M}x${sg.N}x${sg.K} f16 (hi + lo halves), ${tiles}, subgroups of ${sg.subgroupSize}`;
  }
  const tile = tuning?.gemmTile ?? 32;
  return `tiled f32, ${tile}x${tile} tiles`;
}

/** Entry point, variant defines and workgroup grid of a prefill GEMM of T tokens over N rows. */
function gemmVariant(ctx: KernelContext, T: number, N: number): { entry: string; defines: Record<string, boolean | number>; workgroups: [number, number, number] } {
  const m = matrixLayout(ctx.gpu, ctx.tuning);
  if (m) {
    const { sg, frags, grid } = m;
    const defines = { SGMAT: true, SG_M: sg.M, SG_N: sg.N, SG_K: sg.K, SG_SIZE: sg.subgroupSize, SG_FRAGS: frags, SG_GRID: grid, SG_ID: grid > 1 };
    return { entry: 'gemm_sgmat', defines, workgroups: [Math.ceil(N / (grid * frags * sg.N)), Math.ceil(T / (grid * frags * sg.M)), 1] };
  }
  const tile = gemmTile(ctx);
  return { entry: 'gemm', defines: { GEMM: true, GEMM_TILE: tile }, workgroups: [Math.ceil(N / tile), Math.ceil(T / tile), 1] };
}

/** Workgroups of a GEMV over `rows` rows. */
function gemvGroups(rows: number, tpr: number, wg = GEMV_WG): number {
  return Math.ceil(rows / (wg / tpr));
}

function variantDefines(ctx: KernelContext, dtype: WeightDtype, kind: 'gemv' | 'gemm', tpr: number): Record<string, boolean | number> {
  return {
    ...weightDefines(dtype),
    WG: GEMV_WG,
    TPR: tpr,
    // Row sums by subgroup shuffles where a row's threads are known to share a subgroup.
    SUBGROUPS: tpr > 1 && tpr <= ctx.gpu.subgroupRowLanes,
    // A thread per row (CPU adapters): no row sum, so no barrier.
    ROW_ALONE: kind === 'gemv' && tpr === 1,
    // Every quantized type's 32-value blocks (K-quants: sub-blocks; repacked checkpoints: 32 values of
    // a group) decoded whole (`wblock`), scales read once per 32 values; float types 4 values at a time.
    BLOCKS: kind === 'gemv' && !isFloatDtype(dtype),
  };
}

/** x is read 16 bytes at a time when its rows are whole vec4s and no column order scatters the reads. */
function readsXAsVec4(w: GpuWeight): boolean {
  return w.cols % 4 === 0 && !w.inputOrder;
}

/** y = x W^T (+ bias), or SwiGLU with `up`: one dispatch per weight shard. */
export function matmul(ctx: KernelContext, a: MatmulArgs): Dispatch[] {
  const w = a.weight;
  const kind = a.kind ?? (usesGemv(ctx, a.T) ? 'gemv' : 'gemm');
  if (a.up && (kind !== 'gemv' || !storedAlike(w, a.up))) throw new Error(`${w.name}: gate and up cannot run as one SwiGLU GEMV`);
  if (a.norm && kind !== 'gemv') throw new Error(`${w.name}: only the GEMV normalizes its input`);
  const tpr = kind === 'gemv' ? (a.threadsPerRow ?? gemvThreadsPerRow(w.cols, ctx.gpu.isCpu)) : 1;
  return w.shards.map((shard, s) => {
    const gemm = kind === 'gemm' ? gemmVariant(ctx, a.T, shard.nRows) : null;
    const defines = {
      ...variantDefines(ctx, w.dtype, kind, tpr),
      ...gemm?.defines,
      HAS_BIAS: shard.bias !== undefined,
      ACCUMULATE: a.accumulate ?? false,
      X_PERM: w.inputOrder !== undefined,
      X_VEC4: readsXAsVec4(w),
      GLU: a.up !== undefined,
      NORM: a.norm !== undefined,
    };
    const params = uniform(
      ctx,
      MATMUL_PARAMS,
      {
        T: a.T,
        K: w.cols,
        N: shard.nRows,
        rowBytes: w.rowBytes,
        colOffset: shard.rowStart,
        yStride: a.yStride ?? w.rows,
        yOffset: a.yOffset ?? 0,
        yOffsetPerPos: a.yOffsetPerPos ?? 0,
        normEps: a.norm?.eps ?? 0,
        kvN: 0,
        headDim: 0,
      },
      `${w.name} params`,
    );
    const bindings: Record<number, GPUBuffer> = { 0: a.x, 1: shard.buffer, 2: a.y, 3: params, 4: ctx.step };
    if (shard.bias) bindings[5] = shard.bias;
    if (w.inputOrder) bindings[6] = w.inputOrder;
    if (a.up) bindings[7] = a.up.shards[s].buffer;
    if (a.norm) bindings[8] = a.norm.gain;
    Object.assign(bindings, iqGridBinding(ctx, w.dtype));
    if (gemm) return makeDispatch(ctx, 'matmul.wgsl', gemm.entry, defines, bindings, gemm.workgroups);
    return makeDispatch(ctx, 'matmul.wgsl', 'gemv', defines, bindings, grid(gemvGroups(shard.nRows, tpr)));
  });
}

/** Storage bindings of the QKV GEMV: x, three weights, three outputs, the bias and the norm gain (and an i-quant's grid). */
const qkvStorageBindings = (dtype: WeightDtype) => 9 + (gridOf(dtype) ? 1 : 0);

/**
 * Whether the q, k and v projections of T tokens can run as one GEMV: the GEMV is what runs, the three
 * are stored alike in one binding each with no column order, and the device has bindings enough.
 */
export function qkvFusable(ctx: KernelContext, T: number, wq: GpuWeight, wk: GpuWeight, wv: GpuWeight): boolean {
  const ws = [wq, wk, wv];
  return (
    usesGemv(ctx, T) &&
    ctx.gpu.device.limits.maxStorageBuffersPerShaderStage >= qkvStorageBindings(wq.dtype) &&
    ws.every((w) => w.dtype === wq.dtype && w.cols === wq.cols && w.shards.length === 1 && !w.inputOrder) &&
    wk.rows === wv.rows &&
    ws.every((w) => (w.shards[0].bias !== undefined) === (wq.shards[0].bias !== undefined))
  );
}

export interface QkvArgs {
  x: GPUBuffer; //   [T, K] f32
  norm?: { gain: GPUBuffer; eps: number };
  wq: GpuWeight;
  wk: GpuWeight;
  wv: GpuWeight;
  q: GPUBuffer; //   [T, wq.rows]
  k: GPUBuffer; //   [.., wk.rows]: row t at kvOffsetPerPos * step.pos + t * wk.rows
  v: GPUBuffer;
  T: number;
  /** Elements per cache position before k[0] and v[0]: an f32 KV cache takes them at row step.pos. */
  kvOffsetPerPos: number;
  threadsPerRow?: number;
  /** RoPE applied as q and k are stored (no rope launch); see qkvRopeFusable(). */
  rope?: QkvRope;
}

export interface QkvRope {
  cosSin: GPUBuffer; // [maxSeq, headDim / 2] (cos, sin) f32 pairs: ropeTable()
  headDim: number;
  /** k and v are a half-precision cache's key and value buffers, written at row step.pos: two halves per u32. */
  f16Cache: boolean;
}

/**
 * Whether the QKV GEMV over weights of this type can also rotate q and k (half-split RoPE): heads of
 * whole pairs in each half, no per-head norm before the rotation (Qwen3's runs in the rope kernel),
 * and a binding more to spare for the RoPE table.
 */
export function qkvRopeFusable(ctx: KernelContext, dtype: WeightDtype, headDim: number, headNorms: boolean): boolean {
  return headDim % 4 === 0 && !headNorms && ctx.gpu.device.limits.maxStorageBuffersPerShaderStage >= qkvStorageBindings(dtype) + 1;
}

/** q, k and v projections (+ biases) of one input in one GEMV launch; see qkvFusable(). */
export function qkvMatmul(ctx: KernelContext, a: QkvArgs): Dispatch {
  if (!qkvFusable(ctx, a.T, a.wq, a.wk, a.wv)) throw new Error(`${a.wq.name}: q, k and v cannot run as one GEMV`);
  if (a.rope && a.rope.headDim % 4) throw new RangeError(`${a.wq.name}: RoPE in the GEMV takes heads of a multiple of 4 dimensions, not ${a.rope.headDim}`);
  const tpr = a.threadsPerRow ?? gemvThreadsPerRow(a.wq.cols, ctx.gpu.isCpu);
  // With RoPE a workgroup holds whole rotation quads: 4 rows or more.
  const wg = a.rope ? Math.max(GEMV_WG, 4 * tpr) : GEMV_WG;
  if (wg > 256) throw new RangeError(`${a.wq.name}: ${tpr} threads per row is too many for RoPE in the GEMV (at most 64)`);
  const [q, k, v] = [a.wq, a.wk, a.wv].map((w) => w.shards[0]);
  const bias = q.bias && packedBias(ctx, [q.bias, k.bias!, v.bias!], [a.wq.rows, a.wk.rows, a.wv.rows]);
  const defines = {
    ...variantDefines(ctx, a.wq.dtype, 'gemv', tpr),
    WG: wg,
    X_VEC4: readsXAsVec4(a.wq),
    QKV: true,
    HAS_BIAS: bias !== undefined,
    NORM: a.norm !== undefined,
    ROPE: a.rope !== undefined,
    KV_F16: a.rope?.f16Cache ?? false,
  };
  const params = uniform(
    ctx,
    MATMUL_PARAMS,
    {
      T: a.T, K: a.wq.cols, N: a.wq.rows, rowBytes: a.wq.rowBytes, colOffset: 0, yStride: a.wq.rows, yOffset: 0,
      yOffsetPerPos: a.kvOffsetPerPos, normEps: a.norm?.eps ?? 0, kvN: a.wk.rows, headDim: a.rope?.headDim ?? 0,
    },
    `${a.wq.name} qkv params`,
  );
  const bindings: Record<number, GPUBuffer> = { 0: a.x, 1: q.buffer, 2: a.q, 3: params, 4: ctx.step, 7: k.buffer, 9: v.buffer, 10: a.k, 11: a.v };
  if (bias) bindings[5] = bias;
  if (a.norm) bindings[8] = a.norm.gain;
  if (a.rope) bindings[12] = a.rope.cosSin;
  Object.assign(bindings, iqGridBinding(ctx, a.wq.dtype));
  const groups = (rows: number) => gemvGroups(rows, tpr, wg);
  return makeDispatch(ctx, 'matmul.wgsl', 'gemv', defines, bindings, grid(groups(a.wq.rows) + 2 * groups(a.wk.rows)));
}

/** The three biases in one buffer (copied on the GPU), owned by the graph being recorded. */
function packedBias(ctx: KernelContext, parts: GPUBuffer[], lengths: number[]): GPUBuffer {
  const { device } = ctx.gpu;
  const total = lengths.reduce((s, n) => s + n, 0);
  const out = device.createBuffer({ label: 'qkv bias', size: total * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  ctx.owned.push(out);
  const enc = device.createCommandEncoder();
  let at = 0;
  parts.forEach((b, i) => {
    enc.copyBufferToBuffer(b, 0, out, at * 4, lengths[i] * 4);
    at += lengths[i];
  });
  device.queue.submit([enc.finish()]);
  return out;
}
