/**
 * The prefill GEMM on matrix units (shaders/matmul.wgsl `gemm_sgmat`) against the float64 reference:
 * every weight type with bias, residual accumulation, split shards and edge tiles, GPTQ act-order,
 * and inputs beyond f16's range. Shared by the Vitest file (test/gpu/gemm-subgroup-matrix.test.ts,
 * on lavapipe) and the GPU kit (`device.mjs gemm`, on the GPU's tensor cores), both in Node on Dawn.
 * The kernel harness must already run on an adapter with matrix units (e2e/harness/kernels.ts useGpu).
 */
import { runMatmul } from '../../e2e/harness/kernels.ts';
import { actOrderCase, DTYPES, matmulCase, shapesFor, sumAbsProducts, worst } from '../../e2e/harness/matmul-cases.ts';
import { dequantizeRows } from '../../src/formats/numeric.ts';
import * as ref from '../../src/ref/ops.ts';
import type { WeightDtype } from '../../src/formats/dtypes.ts';
import { Rng } from './random.ts';

/**
 * x and the decoded weights go to the matrix units as pairs of halves (hi + lo) whose three products
 * keep about 2^-21 of each product: the f32 GEMM's tolerance, relative to sum_k |x_k w_k|.
 */
export const MATRIX_GEMM_TOL = 1e-5;

export interface MatrixGemmCase {
  label: string;
  /** The worst error over the case's outputs, relative to what they sum (below MATRIX_GEMM_TOL to pass). */
  run(): Promise<number>;
}

/**
 * Every type runs where each subgroup holds 2 x 2 fragments, as NVIDIA's 16 x 16 units do at the
 * default tile side of 32 (on lavapipe's 8 x 8 units: 16), in the device's default grid of
 * subgroups; a type per kind of decoder runs with one subgroup per workgroup too, at that side and
 * at the other. Each case compiles two pipelines, up to 15 s each on a cold lavapipe at 4 x 4
 * fragments on one subgroup (over 30 s in a 2 x 2 grid), so not every type runs every way.
 */
const OTHER_WAY_TYPES: WeightDtype[] = ['f32', 'q4_0', 'q4_k', 'q4z_32'];

function typeCase(dtype: WeightDtype, matrixTile: 16 | 32, matrixGrid?: 1): MatrixGemmCase {
  const way = `${matrixTile}-wide tiles${matrixGrid ? ' on one subgroup' : ''}`;
  return {
    label: `${dtype}, ${way}: bias, accumulate, split shards, edge tiles`,
    async run() {
      const rng = new Rng(7000 + DTYPES.indexOf(dtype) + matrixTile + (matrixGrid ?? 0));
      let w = 0;
      // Beyond the shared shapes: more tokens and rows than two tiles, K past a few K steps.
      for (const shape of [...shapesFor(dtype), { T: 70, N: 131, K: shapesFor(dtype).at(-1)!.K }]) {
        const { T, N, K } = shape;
        const { bytes, x, bias, yInit, want, scale } = matmulCase(dtype, shape, rng);
        const base = { dtype, weightBytes: Array.from(bytes), rows: N, cols: K, x, T, bias, kind: 'gemm' as const, matrixTile, matrixGrid };
        const [, ...y] = await runMatmul(base);
        w = Math.max(w, worst(y, want, scale));
        const rowBytes = bytes.length / N;
        const [nShards, ...acc] = await runMatmul({ ...base, accumulate: true, yInit, maxBindingBytes: 3 * rowBytes + 8 });
        if (nShards !== Math.ceil(N / 3)) throw new Error(`${dtype}: ${nShards} shards, expected ${Math.ceil(N / 3)}`);
        w = Math.max(w, worst(acc, Array.from(want, (v, i) => v + yInit[i]), scale));
      }
      return w;
    },
  };
}

const actOrder: MatrixGemmCase = {
  label: 'GPTQ act-order: x read through the column order',
  async run() {
    const [T, N, K] = [37, 45, 256];
    const { bytes, order, x, want, scale } = actOrderCase({ T, N, K }, new Rng(7100));
    const [, ...y] = await runMatmul({ dtype: 'q4z_32', weightBytes: Array.from(bytes), rows: N, cols: K, x, T, kind: 'gemm', columnOrder: order });
    return worst(y, want, scale);
  },
};

/** Inputs beyond f16's range (1e6, -7e4): their tiles are computed in f32, not clamped to 65504. */
const outOfRange: MatrixGemmCase = {
  label: "inputs beyond f16's range: their tiles computed in f32",
  async run() {
    const [T, N, K] = [40, 36, 64];
    const rng = new Rng(7200);
    const x = Array.from(rng.normals(T * K));
    x[5 * K + 3] = 1e6;
    x[33 * K + 60] = -7e4;
    const weights = Float32Array.from(rng.normals(N * K, 0.5));
    const w = dequantizeRows('f32', new Uint8Array(weights.buffer), N, K);
    const want = ref.matmul(Float64Array.from(x), w, T, N, K, new Float64Array(N));
    const scale = sumAbsProducts(x, w, { T, N, K });
    const [, ...y] = await runMatmul({ dtype: 'f32', weightBytes: Array.from(new Uint8Array(weights.buffer)), rows: N, cols: K, x, T, kind: 'gemm' });
    return worst(y, want, scale);
  },
};

/**
 * Every case for matrix units of this shape, in order: each weight type, a few on one subgroup per
 * workgroup at the same tile side and at the other, then act-order and the range case.
 */
export function matrixGemmCases(shape: { M: number; N: number }): MatrixGemmCase[] {
  const twoByTwo = 2 * Math.max(shape.M, shape.N) === 16 ? 16 : 32;
  const other = twoByTwo === 16 ? 32 : 16;
  return [
    ...DTYPES.map((d) => typeCase(d, twoByTwo)),
    ...OTHER_WAY_TYPES.map((d) => typeCase(d, twoByTwo, 1)),
    ...OTHER_WAY_TYPES.map((d) => typeCase(d, other, 1)),
    actOrder,
    outOfRange,
  ];
}
