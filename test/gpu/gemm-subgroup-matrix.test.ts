/**
 * The prefill GEMM on the device's matrix units (shaders/matmul.wgsl `gemm_sgmat`) against the
 * float64 reference, in Node on Dawn, for every weight type. It needs an adapter that offers
 * `chromium-experimental-subgroup-matrix` with f16 inputs: a GPU with tensor cores, or, on a machine
 * without one, Mesa 26's lavapipe (`npm run test:matrix-units` sets it up and runs this file there).
 * Elsewhere the tests are skipped, and the reason is printed.
 */
import { describe, expect, test } from 'vitest';
import { Rng } from '../../scripts/lib/random.ts';
import { nodeGpu } from '../../scripts/lib/node-gpu.ts';
import { adapterInfo, matmulVariant, runMatmul, useGpu } from '../../e2e/harness/kernels.ts';
import { actOrderCase, DTYPES, matmulCase, shapesFor, worst } from '../../e2e/harness/matmul-cases.ts';

/**
 * x and the decoded weights go to the matrix units as pairs of halves (hi + lo) whose three products
 * keep about 2^-20 of each product: the f32 GEMM's tolerance, relative to sum_k |x_k w_k|.
 */
const SGMAT_TOL = 1e-5;

async function matrixUnits(): Promise<string | null> {
  try {
    const gpu = await nodeGpu();
    if (!(await gpu.requestAdapter())) return 'Dawn finds no Vulkan adapter here';
    useGpu(gpu);
    const info = await adapterInfo();
    if (!info.subgroupMatrix) return `${info.name} offers no f16 subgroup matrices`;
    return null;
  } catch (e) {
    return `Dawn could not start: ${(e as Error).message}`;
  }
}

const unavailable = await matrixUnits();
if (unavailable) console.warn(`gemm_sgmat tests skipped: ${unavailable} (npm run test:matrix-units runs them on lavapipe)`);

describe.skipIf(unavailable !== null)('prefill GEMM on matrix units', () => {
  test('runs wherever the adapter offers them, unless tuning asks for the tiled GEMM', async () => {
    const info = await adapterInfo();
    console.info(`${info.name}: ${JSON.stringify(info.subgroupMatrix)}`);
    expect(await matmulVariant({ cols: 64, kind: 'gemm', T: 16 })).toMatch(/^matmul_gemm_sgmat_/);
    expect(await matmulVariant({ cols: 64, kind: 'gemm', T: 16, gemm: 'tiled' })).toMatch(/^matmul_gemm_gemm_/);
  });

  for (const dtype of DTYPES) {
    test(`${dtype}: bias, accumulate, split shards, edge tiles`, async () => {
      const rng = new Rng(7000 + DTYPES.indexOf(dtype));
      // Beyond the shared shapes: more tokens and rows than one 64 x 64 tile, K past one K step.
      for (const shape of [...shapesFor(dtype), { T: 70, N: 131, K: shapesFor(dtype).at(-1)!.K }]) {
        const { T, N, K } = shape;
        const { bytes, x, bias, yInit, want, scale } = matmulCase(dtype, shape, rng);
        const base = { dtype, weightBytes: Array.from(bytes), rows: N, cols: K, x, T, bias, kind: 'gemm' as const };
        const [, ...y] = await runMatmul(base);
        expect(worst(y, want, scale), `${dtype} T=${T} N=${N} K=${K}`).toBeLessThan(SGMAT_TOL);
        const rowBytes = bytes.length / N;
        const [nShards, ...acc] = await runMatmul({ ...base, accumulate: true, yInit, maxBindingBytes: 3 * rowBytes + 8 });
        expect(nShards).toBe(Math.ceil(N / 3));
        const wantAcc = Array.from(want, (v, i) => v + yInit[i]);
        expect(worst(acc, wantAcc, scale), `${dtype} accumulate, sharded, T=${T} N=${N} K=${K}`).toBeLessThan(SGMAT_TOL);
      }
    });
  }

  test('GPTQ act-order: x read through the column order', async () => {
    const rng = new Rng(7100);
    const [T, N, K] = [37, 45, 256];
    const { bytes, order, x, want, scale } = actOrderCase({ T, N, K }, rng);
    const [, ...y] = await runMatmul({ dtype: 'q4z_32', weightBytes: Array.from(bytes), rows: N, cols: K, x, T, kind: 'gemm', columnOrder: order });
    expect(worst(y, want, scale)).toBeLessThan(SGMAT_TOL);
  });

  test('inputs beyond the f16 range are clamped to 65504, not made infinite', async () => {
    const [T, N, K] = [8, 8, 32];
    const x = Array.from({ length: T * K }, (_, i) => (i % K === 0 ? 1e6 : 0.5));
    const w = Array.from({ length: N * K }, () => 1);
    const bytes = new Uint8Array(Float32Array.from(w).buffer);
    const [, ...y] = await runMatmul({ dtype: 'f32', weightBytes: Array.from(bytes), rows: N, cols: K, x, T, kind: 'gemm' });
    for (const v of y) expect(v).toBeCloseTo(65504 + 0.5 * (K - 1), 3);
  });
});
