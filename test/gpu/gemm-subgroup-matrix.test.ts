/**
 * The prefill GEMM on the device's matrix units (shaders/matmul.wgsl `gemm_sgmat`) against the
 * float64 reference, in Node on Dawn (the cases: scripts/lib/matrix-gemm-check.ts). It needs an
 * adapter that offers `chromium-experimental-subgroup-matrix` with f16 inputs: a GPU with tensor
 * cores, or, on a machine without one, Mesa 26's lavapipe (`npm run test:lavapipe` runs this file
 * there). Elsewhere the tests are skipped and say why, unless R1_REQUIRE_MATRIX_UNITS is set
 * (scripts/lavapipe/test.sh sets it), where a missing feature fails them.
 */
import { describe, expect, test } from 'vitest';
import { nodeGpu } from '../../scripts/lib/node-gpu.ts';
import { adapterInfo, harnessGpu, matmulVariant, useGpu } from '../../e2e/harness/kernels.ts';
import { MATRIX_GEMM_TOL, matrixGemmCases } from '../../scripts/lib/matrix-gemm-check.ts';
import type { SubgroupMatrixShape } from '../../src/gpu/device.ts';
import { probeMatrixUnits } from '../../src/kernels/matrix-probe.ts';

/** The adapter's matrix-unit shape, or why there is none. */
async function matrixUnits(): Promise<SubgroupMatrixShape | string> {
  try {
    const gpu = await nodeGpu();
    if (!(await gpu.requestAdapter())) return 'Dawn finds no Vulkan adapter here';
    useGpu(gpu);
    const info = await adapterInfo();
    return info.subgroupMatrix ?? `${info.name} offers no f16 subgroup matrices`;
  } catch (e) {
    return `Dawn could not start: ${(e as Error).message}`;
  }
}

const shape = await matrixUnits();
const unavailable = typeof shape === 'string' ? shape : null;
if (unavailable && process.env.R1_REQUIRE_MATRIX_UNITS) throw new Error(`matrix units required, but ${unavailable}`);
if (unavailable) console.warn(`gemm_sgmat tests skipped: ${unavailable} (npm run test:lavapipe runs them on lavapipe)`);

describe.skipIf(unavailable !== null)('prefill GEMM on matrix units', () => {
  test('runs wherever the adapter offers them, unless tuning asks for the tiled GEMM', async () => {
    const info = await adapterInfo();
    console.info(`${info.name}: ${JSON.stringify(info.subgroupMatrix)}`);
    expect(await matmulVariant({ cols: 64, kind: 'gemm', T: 16 })).toMatch(/^matmul_gemm_sgmat_/);
    expect(await matmulVariant({ cols: 64, kind: 'gemm', T: 16, gemm: 'tiled' })).toMatch(/^matmul_gemm_gemm_/);
  });

  test('2 x 2 subgroups share a tile where WGSL has subgroup_id, unless tuning asks for one', async () => {
    const info = await adapterInfo();
    const grid = await matmulVariant({ cols: 64, kind: 'gemm', T: 16 });
    // Where the matrix units are required (lavapipe, with this repository's Dawn), so is the grid.
    if (process.env.R1_REQUIRE_MATRIX_UNITS) expect(info.subgroupMatrix?.subgroupId).toBe(true);
    if (info.subgroupMatrix?.subgroupId) expect(grid).toMatch(/_sg_grid2_sg_id_/);
    else expect(grid).toMatch(/_sg_grid1_/);
    expect(await matmulVariant({ cols: 64, kind: 'gemm', T: 16, matrixGrid: 1 })).toMatch(/_sg_grid1_/);
  });

  test("the engine's probe passes them (with the GPU schedule: CPU adapters prefill with the GEMV)", async () => {
    const gpu = await harnessGpu();
    const probed = await probeMatrixUnits({ ...gpu, isCpu: false });
    expect(gpu.subgroupMatrix).not.toBeNull();
    expect(probed.subgroupMatrix).toEqual(gpu.subgroupMatrix);
  });

  for (const c of typeof shape === 'string' ? [] : matrixGemmCases(shape)) {
    test(c.label, async () => {
      expect(await c.run()).toBeLessThan(MATRIX_GEMM_TOL);
    });
  }
});
