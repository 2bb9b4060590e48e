/**
 * Random matmul cases and their float64 answers, shared by the kernel tests in Chromium
 * (e2e/kernels.spec.ts) and in Node on Dawn (test/gpu/gemm-subgroup-matrix.test.ts).
 */
import type { Rng } from '../../scripts/lib/random.ts';
import { encodeWeights, randomKQuantBytes, type KQuantDtype } from '../../scripts/lib/encode-weights.ts';
import { DTYPE_LAYOUTS, type WeightDtype } from '../../src/formats/dtypes.ts';
import { dequantizeRows } from '../../src/formats/numeric.ts';
import * as ref from '../../src/ref/ops.ts';

export const DTYPES: WeightDtype[] = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'q5_0', 'q2_k', 'q3_k', 'q4_k', 'q5_k', 'q6_k', 'iq4_nl', 'iq4_xs', 'f8e4m3_128', 'q4z_32', 'q4z_64', 'q4z_128',
  'q5_1', 'iq2_xxs', 'iq2_xs', 'iq2_s', 'iq3_xxs', 'iq3_s', 'iq1_s', 'iq1_m', 'nf4_64', 'q4ah_64', 'q4a_64', 'q4ah_128', 'q8ah_32', 'i8_128',
  'q3ah_64', 'q5ah_32', 'q6a_128', 'q2ah_64', 'q8z_128', 'q8z_32', 'fp4_64'];

/**
 * Types whose kernel code is another type's but for their own decoding of a block: the grid i-quants
 * share IQ2_XXS's wblock / w4 (each has its own iq_point / iq_scales), the MLX groups Q4AH_64's
 * WEIGHT_QA section (other widths, group lengths, f32 scale and bias), Q8Z_32 Q8Z_128's, INT8 FP8's
 * SCALED8 one, FP4 NF4's BNB4 one (another code book). The kernel tests run the whole battery (kinds, shapes, accumulation, shards) on the
 * first and a decoding check through the GEMV (whole blocks, rows shared by threads) and the GEMM on
 * these.
 */
export const SHARED_KERNEL: ReadonlySet<WeightDtype> = new Set(['iq2_xs', 'iq2_s', 'iq3_xxs', 'iq3_s', 'iq1_s', 'iq1_m', 'q4a_64', 'q4ah_128', 'q8ah_32', 'i8_128',
  'q3ah_64', 'q5ah_32', 'q6a_128', 'q2ah_64', 'q8z_32', 'fp4_64']);

/**
 * What the SwiGLU GEMV and the 32-threads-a-row reduction add to a plain GEMV does not depend on the
 * weight type (two weights read alike, an epilogue; a reduction over lanes): they are tested on one
 * type of each decoding family (plain w4, the GGUF blocks with and without a block scale, the
 * K-quants, the grid i-quants and their grid binding, and each repacked checkpoint layout).
 */
export const FAMILY_TYPES: ReadonlySet<WeightDtype> = new Set(['f32', 'f16', 'q8_0', 'q4_1', 'q4_k', 'q6_k', 'iq2_xxs', 'f8e4m3_128', 'q4z_32', 'q8z_128', 'nf4_64', 'q4ah_64']);

/** f32 accumulation of K products: relative to sum |x w|. */
export const MATMUL_TOL = 1e-5;

/** Weight bytes of a type: quantized from random values, or (K-quants) random valid blocks. */
export function weightBytes(dtype: WeightDtype, rows: number, cols: number, rng: Rng, std = 0.5): Uint8Array {
  return dtype.endsWith('_k') || dtype.startsWith('iq') ? randomKQuantBytes(dtype as KQuantDtype, rows, cols, rng) : encodeWeights(dtype, rng.normals(rows * cols, std));
}

export interface MatmulShape {
  T: number;
  N: number;
  K: number;
}

export const SHAPES: MatmulShape[] = [
  { T: 1, N: 5, K: 64 },
  { T: 3, N: 37, K: 96 },
  { T: 9, N: 70, K: 160 },
  { T: 33, N: 65, K: 256 },
];
/** 128-value blocks (FP8, 4-bit groups of up to 128). */
export const WIDE_SHAPES: MatmulShape[] = [
  { T: 1, N: 5, K: 128 },
  { T: 3, N: 37, K: 384 },
  { T: 33, N: 40, K: 256 },
];
/** 256-value super-blocks for the K-quants. */
export const K_SHAPES: MatmulShape[] = [
  { T: 1, N: 5, K: 256 },
  { T: 3, N: 37, K: 512 },
  { T: 33, N: 40, K: 768 },
];

/** Awkward shapes for a type: a token, a few, more than a tile; rows not a multiple of anything. */
export function shapesFor(dtype: WeightDtype): MatmulShape[] {
  const block = DTYPE_LAYOUTS[dtype].blockElems;
  return block === 256 ? K_SHAPES : block > 32 ? WIDE_SHAPES : block === 32 ? SHAPES : [...SHAPES, { T: 2, N: 3, K: 7 }, { T: 11, N: 9, K: 33 }];
}

/** sum_k |x[t, k] w[n, k]| (+ |bias[n]|) for every output [t, n]: what rounding errors scale with. */
export function sumAbsProducts(x: ArrayLike<number>, w: ArrayLike<number>, { T, N, K }: MatmulShape, bias?: ArrayLike<number>): Float64Array {
  const scale = new Float64Array(T * N);
  for (let t = 0; t < T; t++)
    for (let n = 0; n < N; n++) {
      let s = bias ? Math.abs(bias[n]) : 0;
      for (let k = 0; k < K; k++) s += Math.abs(x[t * K + k] * w[n * K + k]);
      scale[t * N + n] = s;
    }
  return scale;
}

export interface MatmulCaseData {
  bytes: Uint8Array;
  x: number[];
  bias: number[];
  yInit: number[];
  /** x W^T + bias in float64, W decoded from `bytes` in float64. */
  want: Float64Array;
  /** sum_k |x w| + |bias| per output: what rounding errors scale with. */
  scale: Float64Array;
}

export function matmulCase(dtype: WeightDtype, { T, N, K }: MatmulShape, rng: Rng): MatmulCaseData {
  const bytes = weightBytes(dtype, N, K, rng);
  const w = dequantizeRows(dtype, bytes, N, K);
  const x = Array.from(rng.normals(T * K));
  const bias = Array.from(rng.normals(N));
  const yInit = Array.from(rng.normals(T * N));
  const want = ref.matmul(Float64Array.from(x), w, T, N, K, Float64Array.from(bias));
  const scale = sumAbsProducts(x, w, { T, N, K }, bias);
  return { bytes, x, bias, yInit, want, scale };
}

/**
 * A GPTQ act-order case: 4-bit groups of 32 stored in a permuted column order (stored column k
 * multiplies x[order[k]]), and the answer for the same matrix in feature order.
 */
export function actOrderCase({ T, N, K }: MatmulShape, rng: Rng) {
  const bytes = encodeWeights('q4z_32', rng.normals(N * K, 0.5));
  const stored = dequantizeRows('q4z_32', bytes, N, K);
  const order = Array.from({ length: K }, (_, k) => k).sort(() => rng.next() - 0.5);
  const w = new Float64Array(N * K);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) w[n * K + order[k]] = stored[n * K + k];
  const x = Array.from(rng.normals(T * K));
  const want = ref.matmul(Float64Array.from(x), w, T, N, K, new Float64Array(N));
  return { bytes, order, x, want, scale: sumAbsProducts(x, w, { T, N, K }) };
}

/** max over outputs of |gpu - ref| / (scale + floor); must stay below the stated tolerance. */
export function worst(gpu: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number> | number, floor = 1e-6): number {
  let w = 0;
  for (let i = 0; i < want.length; i++) {
    const s = typeof scale === 'number' ? scale : scale[i];
    w = Math.max(w, Math.abs(gpu[i] - want[i]) / (s + floor));
  }
  return w;
}
