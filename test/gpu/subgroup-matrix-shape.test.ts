import { describe, expect, it } from 'vitest';
import { SUBGROUP_MATRIX_FEATURE, subgroupMatrixShape } from '../../src/gpu/device.ts';
import { sgmatWorkgroupBytes } from '../../src/kernels/matmul.ts';

const ALL = new Set([SUBGROUP_MATRIX_FEATURE, 'shader-f16', 'subgroups']);
const cfg = (componentType: string, resultComponentType: string, M: number, N: number, K: number) => ({ componentType, resultComponentType, M, N, K });
// As Dawn lists them on lavapipe (Mesa 26, seen here), and a list shaped like a 16 x 16 tensor-core
// GPU's (not yet recorded on one: the GPU kit's info.json will say).
const LAVAPIPE = [cfg('f16', 'f16', 8, 8, 8), cfg('f16', 'f32', 8, 8, 8), cfg('u8', 'u32', 8, 8, 8), cfg('i8', 'i32', 8, 8, 8)];
const TENSOR_CORES = [cfg('f16', 'f16', 16, 16, 16), cfg('f16', 'f32', 16, 16, 16), cfg('f16', 'f32', 16, 8, 16), cfg('i8', 'i32', 16, 16, 32)];

describe('the matrix-unit shape the prefill GEMM picks', () => {
  it('takes the first f16 x f16 -> f32 configuration with sides of 8 or 16', () => {
    expect(subgroupMatrixShape(ALL, { subgroupMinSize: 8, subgroupMaxSize: 8, subgroupMatrixConfigs: LAVAPIPE })).toEqual({ M: 8, N: 8, K: 8, subgroupSize: 8, subgroupId: false });
    expect(subgroupMatrixShape(ALL, { subgroupMinSize: 32, subgroupMaxSize: 32, subgroupMatrixConfigs: TENSOR_CORES })).toEqual({ M: 16, N: 16, K: 16, subgroupSize: 32, subgroupId: false });
  });
  it("says whether WGSL's subgroup_id is there, which grids of subgroups need", () => {
    const info = { subgroupMinSize: 32, subgroupMaxSize: 32, subgroupMatrixConfigs: TENSOR_CORES };
    expect(subgroupMatrixShape(ALL, info, new Set(['subgroup_id', 'pointer_composite_access']))?.subgroupId).toBe(true);
    expect(subgroupMatrixShape(ALL, info, new Set(['pointer_composite_access']))?.subgroupId).toBe(false);
  });
  it('needs the feature, shader-f16 and subgroups', () => {
    const info = { subgroupMinSize: 32, subgroupMaxSize: 32, subgroupMatrixConfigs: TENSOR_CORES };
    for (const missing of ALL) expect(subgroupMatrixShape(new Set([...ALL].filter((f) => f !== missing)), info), missing).toBeNull();
  });
  it('builds workgroups of whole subgroups, so the adapter must have a single subgroup size', () => {
    expect(subgroupMatrixShape(ALL, { subgroupMinSize: 32, subgroupMaxSize: 64, subgroupMatrixConfigs: TENSOR_CORES })).toBeNull();
    expect(subgroupMatrixShape(ALL, { subgroupMatrixConfigs: TENSOR_CORES })).toBeNull();
  });
  it('refuses configurations it has no tiles for: f16 results, integers, sides of 32', () => {
    const info = (c: ReturnType<typeof cfg>[]) => ({ subgroupMinSize: 32, subgroupMaxSize: 32, subgroupMatrixConfigs: c });
    expect(subgroupMatrixShape(ALL, info([cfg('f16', 'f16', 16, 16, 16), cfg('i8', 'i32', 16, 16, 32)]))).toBeNull();
    expect(subgroupMatrixShape(ALL, info([cfg('f16', 'f32', 32, 32, 16)]))).toBeNull();
    expect(subgroupMatrixShape(ALL, info([]))).toBeNull();
  });
  it("counts the GEMM's workgroup memory as WebGPU does: a 2 x 2 grid of 16 x 16 units needs just past the default 16 KiB", () => {
    const tensorCores = { M: 16, N: 16, K: 16, subgroupSize: 32, subgroupId: true };
    // 2 x 2 fragments a subgroup: 4 staged tiles of 64 rows x 24 halves, 4 fragments of 256 f32, the flag rounded to 16.
    expect(sgmatWorkgroupBytes(tensorCores, 2, 2)).toBe(4 * 64 * 24 * 2 + 4 * 256 * 4 + 16);
    expect(sgmatWorkgroupBytes(tensorCores, 2, 2)).toBeGreaterThan(16384);
    expect(sgmatWorkgroupBytes(tensorCores, 2, 1)).toBe(4 * 32 * 24 * 2 + 256 * 4 + 16);
  });
});
