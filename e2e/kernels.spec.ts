/**
 * Every WGSL kernel against the float64 TypeScript reference, on random inputs (never zeros) and
 * awkward sizes, in headless Chromium with WebGPU. Tolerances (stated per check below) are relative
 * to the size of what is summed: quantized weights are compared with a float64 decode of the very
 * same bytes, so every weight type gets the f32-accumulation tolerance.
 */
import { expect, test, type Page } from '@playwright/test';
import { callHarness } from './harness/call.ts';
import { Rng } from '../scripts/lib/random.ts';
import { affineHalfHeader, DTYPE_LAYOUTS, isAffineDtype, type AffineDtype, type WeightDtype } from '../src/formats/dtypes.ts';
import { dequantizeRows, f16BitsToF32, f32ToF16Bits } from '../src/formats/numeric.ts';
import { ropeInvFreqs, ropeTable } from '../src/model/rope-freqs.ts';
import * as ref from '../src/ref/ops.ts';
import { gemvThreadsPerRow } from '../src/kernels/matmul.ts';
import { drawUniform, keptTokens, sampleRef } from '../src/engine/sampler-ref.ts';
import { encodeWeights } from '../scripts/lib/encode-weights.ts';
import { actOrderCase, DTYPES, FAMILY_TYPES, K_SHAPES, MATMUL_TOL, SHAPES, SHARED_KERNEL, WIDE_SHAPES, matmulCase, shapesFor, weightBytes, worst } from './harness/matmul-cases.ts';

const harness = <T>(page: Page, fn: string, arg: unknown) => callHarness<T>(page, 'kernels', fn, arg);

test.beforeEach(async ({ page }) => {
  await page.goto('/e2e/harness.html');
});

// ---- matmul ----
for (const dtype of DTYPES.filter((d) => SHARED_KERNEL.has(d))) {
  test(`matmul ${dtype} (another type's kernel code): its blocks decoded through gemv and gemm`, async ({ page }) => {
    const rng = new Rng(1000 + DTYPES.indexOf(dtype));
    const shape = shapesFor(dtype)[1];
    const { bytes, x, bias, want, scale } = matmulCase(dtype, shape, rng);
    const { T, N, K } = shape;
    for (const [kind, threadsPerRow] of [['gemv', 1], ['gemv', Math.max(2, gemvThreadsPerRow(K, false))], ['gemm', undefined]] as const) {
      const [, ...y] = await harness<number[]>(page, 'runMatmul', { dtype, weightBytes: Array.from(bytes), rows: N, cols: K, x, T, bias, kind, threadsPerRow });
      expect(worst(y, want, scale), `${dtype} ${kind} (${threadsPerRow ?? '-'} per row) T=${T} N=${N} K=${K}`).toBeLessThan(MATMUL_TOL);
    }
  });
}

for (const dtype of DTYPES.filter((d) => !SHARED_KERNEL.has(d))) {
  test(`matmul ${dtype}: gemv and gemm, bias, accumulate, split shards`, async ({ page }) => {
    const rng = new Rng(1000 + DTYPES.indexOf(dtype));
    for (const { T, N, K } of shapesFor(dtype)) {
      const { bytes, x, bias, yInit, want, scale } = matmulCase(dtype, { T, N, K }, rng);
      // The GEMV as CPU adapters run it (a thread per row) and as GPUs do (threads sharing a row, up to
      // a warp of 32 on long rows: that reduction once per decoding family).
      const gpuTpr = Math.max(2, gemvThreadsPerRow(K, false));
      const wide = FAMILY_TYPES.has(dtype) ? [['gemv', 32] as const] : [];
      for (const [kind, threadsPerRow] of [['gemv', 1], ['gemv', gpuTpr], ...wide, ['gemm', undefined]] as const) {
        const rowBytes = bytes.length / N;
        const base = { dtype, weightBytes: Array.from(bytes), rows: N, cols: K, x, T, bias, kind, threadsPerRow };
        const [shards, ...y] = await harness<number[]>(page, 'runMatmul', base);
        expect(shards).toBe(1);
        expect(worst(y, want, scale), `${dtype} ${kind} (${threadsPerRow ?? '-'} per row) T=${T} N=${N} K=${K}`).toBeLessThan(MATMUL_TOL);
        // Accumulating into y and splitting the rows over bindings of 2 rows each; the GEMM with its
        // 64-wide tiles.
        const [nShards, ...acc] = await harness<number[]>(page, 'runMatmul', {
          ...base,
          accumulate: true,
          yInit,
          maxBindingBytes: 2 * rowBytes + 8,
          gemmTile: 64,
        });
        expect(nShards).toBe(Math.ceil(N / 2));
        const wantAcc = Array.from(want, (v, i) => v + yInit[i]);
        expect(worst(acc, wantAcc, scale), `${dtype} ${kind} accumulate, sharded`).toBeLessThan(MATMUL_TOL);
      }
    }
  });
}

test('GEMV rows are summed by subgroup shuffles up to the subgroup size, in workgroup memory beyond', async ({ page }) => {
  const info = await harness<{ subgroups: boolean; subgroupRowLanes: number }>(page, 'adapterInfo', {});
  // SwiftShader has subgroups of 4 whose lanes follow the invocation index: the matmul tests above
  // then run both reductions (2 and 4 threads per row by shuffles, 32 through workgroup memory).
  expect(info.subgroups).toBe(true);
  expect(info.subgroupRowLanes).toBeGreaterThanOrEqual(4);
  expect(await harness<string>(page, 'matmulVariant', { cols: 256, threadsPerRow: 4 })).toContain('_subgroups_');
  expect(await harness<string>(page, 'matmulVariant', { cols: 256, threadsPerRow: 1 })).not.toContain('subgroups');
  expect(await harness<string>(page, 'matmulVariant', { cols: 256, threadsPerRow: 2 * info.subgroupRowLanes })).not.toContain('subgroups');
});

for (const dtype of DTYPES.filter((d) => FAMILY_TYPES.has(d))) {
  test(`SwiGLU GEMV ${dtype}: silu(x gate^T) * (x up^T) in one pass, whole and split across bindings`, async ({ page }) => {
    const rng = new Rng(3000 + DTYPES.indexOf(dtype));
    const block = DTYPE_LAYOUTS[dtype].blockElems;
    const { T, N, K } = block === 256 ? K_SHAPES[1] : block > 32 ? WIDE_SHAPES[1] : SHAPES[1];
    const gateBytes = weightBytes(dtype, N, K, rng);
    const upBytes = weightBytes(dtype, N, K, rng);
    const x = Array.from(rng.normals(T * K));
    const gw = dequantizeRows(dtype, gateBytes, N, K);
    const uw = dequantizeRows(dtype, upBytes, N, K);
    const g = ref.matmul(Float64Array.from(x), gw, T, N, K);
    const u = ref.matmul(Float64Array.from(x), uw, T, N, K);
    const want = Array.from(g, (gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]);
    // |d silu/dg| <= 1.1 and |silu(g)| <= |g|: errors of g and u (each within MATMUL_TOL of its
    // sum |x w|) carry over scaled by |u| and |g|.
    const absSum = (w: Float64Array, t: number, n: number) => {
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.abs(x[t * K + k] * w[n * K + k]);
      return s;
    };
    const scale = want.map((_, i) => 1.1 * absSum(gw, Math.floor(i / N), i % N) * Math.abs(u[i]) + Math.abs(g[i]) * absSum(uw, Math.floor(i / N), i % N));
    const gpuTpr = Math.max(2, gemvThreadsPerRow(K, false));
    for (const threadsPerRow of [1, gpuTpr]) {
      for (const maxBindingBytes of [undefined, (2 * gateBytes.length) / N + 8]) {
        const [shards, ...y] = await harness<number[]>(page, 'runMatmul', {
          dtype, weightBytes: Array.from(gateBytes), upBytes: Array.from(upBytes), rows: N, cols: K, x, T, kind: 'gemv', threadsPerRow, maxBindingBytes,
        });
        expect(shards).toBe(maxBindingBytes ? Math.ceil(N / 2) : 1);
        expect(worst(y, want, scale), `${dtype} ${threadsPerRow} per row, ${shards} shards`).toBeLessThan(MATMUL_TOL);
      }
    }
  });
}

test('GEMV with the RMSNorm of x fused in: W rmsnorm(x), with bias, accumulate, SwiGLU and a column order', async ({ page }) => {
  const rng = new Rng(4000);
  const eps = 1e-5;
  for (const dtype of ['f32', 'f16', 'q8_0', 'q4_0', 'q4_k', 'q6_k', 'f8e4m3_128', 'q4z_128'] as WeightDtype[]) {
    const block = DTYPE_LAYOUTS[dtype].blockElems;
    const { T, N, K } = block === 256 ? K_SHAPES[1] : block > 32 ? WIDE_SHAPES[1] : SHAPES[2];
    const bytes = weightBytes(dtype, N, K, rng);
    const upBytes = weightBytes(dtype, N, K, rng);
    const w = dequantizeRows(dtype, bytes, N, K);
    const uw = dequantizeRows(dtype, upBytes, N, K);
    const x = Array.from(rng.normals(T * K, 3));
    const normGain = Array.from(rng.normals(K));
    const bias = Array.from(rng.normals(N));
    const yInit = Array.from(rng.normals(T * N));
    const h = ref.rmsNorm(Float64Array.from(x), Float64Array.from(normGain), eps);
    const want = ref.matmul(h, w, T, N, K, Float64Array.from(bias));
    const wantUp = ref.matmul(h, uw, T, N, K);
    // As the plain matmul, on the normalized input: relative to sum |h w| (+ |bias|).
    const absSum = (m: Float64Array, t: number, n: number) => {
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.abs(h[t * K + k] * m[n * K + k]);
      return s;
    };
    const scale = want.map((_, i) => absSum(w, Math.floor(i / N), i % N) + Math.abs(bias[i % N]));
    const gpuTpr = Math.max(2, gemvThreadsPerRow(K, false));
    for (const threadsPerRow of [1, gpuTpr, 32]) {
      const base = { dtype, weightBytes: Array.from(bytes), rows: N, cols: K, x, T, kind: 'gemv', threadsPerRow, normGain, normEps: eps };
      const [, ...y] = await harness<number[]>(page, 'runMatmul', { ...base, bias });
      expect(worst(y, want, scale), `${dtype} ${threadsPerRow} per row`).toBeLessThan(MATMUL_TOL);
      const [, ...acc] = await harness<number[]>(page, 'runMatmul', { ...base, bias, accumulate: true, yInit });
      expect(worst(acc, want.map((v, i) => v + yInit[i]), scale), `${dtype} accumulate`).toBeLessThan(MATMUL_TOL);
      const [, ...glu] = await harness<number[]>(page, 'runMatmul', { ...base, upBytes: Array.from(upBytes) });
      const g = ref.matmul(h, w, T, N, K);
      const wantGlu = Array.from(g, (gv, i) => (gv / (1 + Math.exp(-gv))) * wantUp[i]);
      const scaleGlu = wantGlu.map((_, i) => 1.1 * absSum(w, Math.floor(i / N), i % N) * Math.abs(wantUp[i]) + Math.abs(g[i]) * absSum(uw, Math.floor(i / N), i % N));
      expect(worst(glu, wantGlu, scaleGlu), `${dtype} SwiGLU`).toBeLessThan(MATMUL_TOL);
    }
  }
  // A column order (GPTQ act-order): the gain goes with the input feature, not the stored column.
  const N = 6, K = 64, T = 2;
  const order = Array.from({ length: K }, (_, k) => k).sort(() => rng.next() - 0.5);
  const values = rng.normals(N * K, 0.5);
  const bytes = encodeWeights('q4z_32', values);
  const w = dequantizeRows('q4z_32', bytes, N, K);
  const x = Array.from(rng.normals(T * K, 3));
  const normGain = Array.from(rng.normals(K));
  const h = ref.rmsNorm(Float64Array.from(x), Float64Array.from(normGain), eps);
  const want = new Float64Array(T * N);
  const scale = new Float64Array(T * N);
  for (let t = 0; t < T; t++)
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++) {
        want[t * N + n] += w[n * K + k] * h[t * K + order[k]];
        scale[t * N + n] += Math.abs(w[n * K + k] * h[t * K + order[k]]);
      }
  const [, ...y] = await harness<number[]>(page, 'runMatmul', { dtype: 'q4z_32', weightBytes: Array.from(bytes), rows: N, cols: K, x, T, kind: 'gemv', threadsPerRow: 4, columnOrder: order, normGain, normEps: eps });
  expect(worst(y, want, scale), 'column order').toBeLessThan(MATMUL_TOL);
});

test('q, k and v projections as one GEMV: biases, input norm, k and v at the cache position', async ({ page }) => {
  const rng = new Rng(5000);
  for (const [dtype, { T, K }] of [['q8_0', SHAPES[1]], ['q4_k', K_SHAPES[1]], ['f16', { T: 2, K: 40 }]] as const) {
    const nQ = 24, nKv = 8, pos = 3, rows = pos + T + 2;
    const mats = [nQ, nKv, nKv].map((n) => weightBytes(dtype, n, K, rng));
    const dense = mats.map((b, i) => dequantizeRows(dtype, b, [nQ, nKv, nKv][i], K));
    const x = Array.from(rng.normals(T * K, 2));
    const bias = [nQ, nKv, nKv].map((n) => Array.from(rng.normals(n)));
    const normGain = Array.from(rng.normals(K));
    for (const [threadsPerRow, withBias, withNorm] of [[1, true, true], [4, false, true], [32, true, false]] as const) {
      const h = withNorm ? ref.rmsNorm(Float64Array.from(x), Float64Array.from(normGain), 1e-6) : Float64Array.from(x);
      const got = await harness<{ name: string; q: number[]; k: number[]; v: number[] }>(page, 'runQkv', {
        dtype, q: Array.from(mats[0]), k: Array.from(mats[1]), v: Array.from(mats[2]), bias: withBias ? bias : undefined, nQ, nKv, cols: K,
        x, T, pos, rows, threadsPerRow, normGain: withNorm ? normGain : undefined,
      });
      expect(got.name).toContain('_qkv_');
      const label = `${dtype}, ${threadsPerRow} per row, bias ${withBias}, norm ${withNorm}`;
      const outs = [got.q, got.k, got.v];
      [nQ, nKv, nKv].forEach((n, m) => {
        const want = ref.matmul(h, dense[m], T, n, K, withBias ? Float64Array.from(bias[m]) : undefined);
        const scale = want.map((_, i) => {
          let s = withBias ? Math.abs(bias[m][i % n]) : 0;
          for (let kk = 0; kk < K; kk++) s += Math.abs(h[Math.floor(i / n) * K + kk] * dense[m][(i % n) * K + kk]);
          return s;
        });
        // k and v: rows pos .. pos + T - 1 of the cache written, the others untouched.
        const out = m === 0 ? outs[0] : outs[m].slice(pos * n, (pos + T) * n);
        expect(worst(out, want, scale), `${['q', 'k', 'v'][m]}: ${label}`).toBeLessThan(MATMUL_TOL);
        if (m > 0) expect([...outs[m].slice(0, pos * n), ...outs[m].slice((pos + T) * n)].every((e) => e === 7), `${label}: other rows`).toBe(true);
      });
    }
  }
});

test('q, k and v projections as one GEMV with RoPE: q and k rotated as stored, into an f32 or a half-precision cache', async ({ page }) => {
  const rng = new Rng(5001);
  const headDim = 16, nHeads = 3, nKvHeads = 2, pos = 3, rows = 8;
  const nQ = nHeads * headDim, nKv = nKvHeads * headDim;
  const { invFreq, attentionScaling } = ropeInvFreqs({ headDim, ropeTheta: 10000, ropeScaling: null });
  const cosSin = Array.from(ropeTable(invFreq, attentionScaling, rows));
  // T = 5: two passes of the GEMV's 4 tokens at a time; the last case without biases, input normed.
  for (const [dtype, T, K, withBias] of [['q8_0', 2, 96, true], ['f16', 1, 40, true], ['q4_0', 5, 64, false]] as const) {
    const mats = [nQ, nKv, nKv].map((n) => weightBytes(dtype, n, K, rng));
    const dense = mats.map((b, i) => dequantizeRows(dtype, b, [nQ, nKv, nKv][i], K));
    const x = Array.from(rng.normals(T * K, 2));
    const bias = [nQ, nKv, nKv].map((n) => Array.from(withBias ? rng.normals(n) : new Float64Array(n)));
    const normGain = withBias ? undefined : Array.from(rng.normals(K));
    const h = normGain ? ref.rmsNorm(Float64Array.from(x), Float64Array.from(normGain), 1e-6) : Float64Array.from(x);
    const positions = Array.from({ length: T }, (_, t) => pos + t);
    // Reference: projections, then RoPE on q and k; each element's scale is the sum |x w| + |bias|
    // of itself and of its rotation partner D/2 away.
    const outs = [nQ, nKv, nKv].map((n, m) => {
      const y = ref.matmul(h, dense[m], T, n, K, Float64Array.from(bias[m]));
      const scale = y.map((_, i) => {
        let s = Math.abs(bias[m][i % n]);
        for (let kk = 0; kk < K; kk++) s += Math.abs(h[Math.floor(i / n) * K + kk] * dense[m][(i % n) * K + kk]);
        return s;
      });
      const pairScale = scale.map((sc, i) => sc + scale[i % headDim < headDim / 2 ? i + headDim / 2 : i - headDim / 2]);
      if (m < 2) ref.rope(y, positions, n / headDim, headDim, invFreq, attentionScaling);
      return { want: y, scale: m < 2 ? pairScale : scale };
    });
    for (const [threadsPerRow, f16Cache] of [[1, false], [4, true], [32, true], [32, false]] as const) {
      const got = await harness<{ name: string; q: number[]; k: number[]; v: number[] }>(page, 'runQkv', {
        dtype, q: Array.from(mats[0]), k: Array.from(mats[1]), v: Array.from(mats[2]), bias: withBias ? bias : undefined, nQ, nKv, cols: K,
        x, T, pos, rows, threadsPerRow, normGain, rope: { cosSin, headDim, f16Cache },
      });
      expect(got.name).toContain('_rope_');
      const label = `${dtype}, T ${T}, ${threadsPerRow} per row, ${f16Cache ? 'f16' : 'f32'} cache`;
      expect(worst(got.q, outs[0].want, outs[0].scale), `q: ${label}`).toBeLessThan(MATMUL_TOL);
      for (const [m, name] of [[1, 'k'], [2, 'v']] as const) {
        const cache = got[name];
        const { want, scale } = outs[m];
        const written = cache.slice(pos * nKv, (pos + T) * nKv);
        const others = [...cache.slice(0, pos * nKv), ...cache.slice((pos + T) * nKv)];
        if (f16Cache) {
          // One f16 rounding (2^-11 of the value) on top of the f32 sums.
          const halves = written.map(f16BitsToF32);
          expect(worst(halves, want, want.map((w, i) => Math.abs(w) + scale[i])), `${name}: ${label}`).toBeLessThan(2 ** -11 + MATMUL_TOL);
          expect(others.every((e) => e === 0x7e00), `${name}: ${label}: other rows`).toBe(true);
        } else {
          expect(worst(written, want, scale), `${name}: ${label}`).toBeLessThan(MATMUL_TOL);
          expect(others.every((e) => e === 7), `${name}: ${label}: other rows`).toBe(true);
        }
      }
    }
  }
});

test('matmul with a column order (GPTQ act-order): gemv and gemm read x through it', async ({ page }) => {
  const rng = new Rng(1100);
  for (const { T, N, K } of [{ T: 1, N: 7, K: 128 }, { T: 20, N: 33, K: 256 }]) {
    const { bytes, order, x, want, scale } = actOrderCase({ T, N, K }, rng);
    for (const kind of ['gemv', 'gemm'] as const) {
      const [, ...y] = await harness<number[]>(page, 'runMatmul', { dtype: 'q4z_32', weightBytes: Array.from(bytes), rows: N, cols: K, x, T, kind, columnOrder: order });
      expect(worst(y, want, scale), `${kind} T=${T}`).toBeLessThan(MATMUL_TOL);
    }
  }
});

test('embedding lookup for every weight type, across shards', async ({ page }) => {
  const rng = new Rng(7);
  for (const dtype of DTYPES) {
    const rows = 23;
    const cols = Math.max(64, DTYPE_LAYOUTS[dtype].blockElems);
    const bytes = weightBytes(dtype, rows, cols, rng, 1);
    const table = dequantizeRows(dtype, bytes, rows, cols);
    const tokens = [0, 22, 5, 6, 7, 5, 13];
    const got = await harness<number[]>(page, 'runEmbedding', {
      dtype, weightBytes: Array.from(bytes), rows, cols, tokens, maxBindingBytes: (bytes.length / rows) * 4 + 8,
    });
    const want = tokens.flatMap((t) => Array.from(table.subarray(t * cols, (t + 1) * cols)));
    // Exact up to one f32 rounding: a decoded weight is an f32 value, or (FP8) an f32 product of an
    // E4M3 value and its block's f32 scale. MLX's affine values, q scale + bias with f32 scale and
    // bias, round twice and the terms can cancel: each rounding is bounded by its term.
    const terms = isAffineDtype(dtype) ? affineTerms(dtype, bytes, rows, cols) : table.map(Math.abs);
    const bound = tokens.flatMap((t) => Array.from(terms.subarray(t * cols, (t + 1) * cols)));
    expect(worst(got, want, bound, 1e-30), dtype).toBeLessThanOrEqual(2 ** -24);
  }
});

test('weight decoding of every 8-bit code: Q8_0 bytes and FP8 E4M3 values, subnormals included', async ({ page }) => {
  // The kernels build floats from bits (weights.wgsl: small4, e4m3x4); random weights seldom hit
  // E4M3's subnormal codes, so each row here holds all 256 codes of its block's byte once.
  const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
  const cases: { dtype: WeightDtype; bytes: Uint8Array; cols: number }[] = [];
  {
    const blocks = 8; // 256 codes, 32 per block
    const bytes = new Uint8Array(blocks * 34);
    const view = new DataView(bytes.buffer);
    for (let b = 0; b < blocks; b++) {
      view.setUint16(b * 34, f32ToF16Bits(0.37 * (b + 1)), true);
      bytes.set(codes.subarray(b * 32, (b + 1) * 32), b * 34 + 2);
    }
    cases.push({ dtype: 'q8_0', bytes, cols: blocks * 32 });
  }
  {
    const blocks = 2; // 256 codes, 128 per block; 0x7f and 0xff are NaN, which loaders refuse
    const bytes = new Uint8Array(blocks * 132);
    const view = new DataView(bytes.buffer);
    for (let b = 0; b < blocks; b++) {
      view.setFloat32(b * 132, b === 0 ? 1.5 : 3.0e-3, true);
      bytes.set(codes.subarray(b * 128, (b + 1) * 128).map((c) => ((c & 0x7f) === 0x7f ? c - 1 : c)), b * 132 + 4);
    }
    cases.push({ dtype: 'f8e4m3_128', bytes, cols: blocks * 128 });
  }
  for (const { dtype, bytes, cols } of cases) {
    const want = dequantizeRows(dtype, bytes, 1, cols);
    const got = await harness<number[]>(page, 'runEmbedding', {
      dtype, weightBytes: Array.from(bytes), rows: 1, cols, tokens: [0], maxBindingBytes: bytes.length + 8,
    });
    expect(worst(got, want, Array.from(want, Math.abs), 1e-30), dtype).toBeLessThanOrEqual(2 ** -24);
  }
});

// ---- norms, rope, attention, activation ----
test('rmsnorm in place and out of place', async ({ page }) => {
  const rng = new Rng(11);
  for (const [rows, n] of [[1, 16], [3, 67], [2, 300]]) {
    const x = Array.from(rng.normals(rows * n, 2));
    const weight = Array.from(rng.normals(n));
    const want = ref.rmsNorm(Float64Array.from(x), Float64Array.from(weight), 1e-6);
    for (const inPlace of [true, false]) {
      const got = await harness<number[]>(page, 'runRmsNorm', { x, weight, rows, n, eps: 1e-6, inPlace });
      // f32 sum of squares and scaling: 1e-5 relative to |weight|.
      expect(worst(got, want, Array.from(want, (_, i) => Math.abs(weight[i % n]))), `${rows}x${n}`).toBeLessThan(1e-5);
    }
  }
});

test('FP8 activation rounding: per token (in CPU and GPU workgroup sizes) and per 128 values (a short last group), zeros and ties', async ({ page }) => {
  const rng = new Rng(31);
  const rows = 4, n = 300;
  const x = Array.from(rng.normals(rows * n, 3));
  // A row of zeros stays zeros; one with exact E4M3 values and midpoints between them (scale 1: max 448).
  x.fill(0, n, 2 * n);
  x.splice(2 * n, 6, 448, 1.0625, 1.1875, -3.25, 2 ** -10, 2 ** -8);
  for (const [group, gpuLayout] of [[0, false], [0, true], [128, false]] as const) {
    const want = ref.roundToE4M3(Float64Array.from(x), n, group);
    const got = await harness<number[]>(page, 'runRoundActivations', { x, rows, n, group, gpuLayout, format: 'e4m3' });
    // f32 vs float64 scales may put a value on the other side of a rounding midpoint: then it is one
    // E4M3 step off (1/8 of its binade); the rest are equal.
    const off = got.map((g, i) => Math.abs(g - want[i])).filter((d) => d > 1e-6 * Math.abs(want.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
    expect(off.length, `group ${group}`).toBeLessThanOrEqual(2);
    expect(got.slice(n, 2 * n).every((v) => v === 0)).toBe(true);
    // Scale 1 (the row's max is 448): midpoints go to the even neighbour, 2^-10 to 0, 2^-8 is a subnormal.
    if (group === 0) expect(got.slice(2 * n, 2 * n + 6)).toEqual([448, 1, 1.25, -3.25, 0, 2 ** -8]);
  }
});

test('INT8 activation rounding (vLLM dynamic per token): round(x 127 / max|x|), ties to even, times max|x| / 127', async ({ page }) => {
  const rng = new Rng(33);
  const rows = 3, n = 200;
  const x = Array.from(rng.normals(rows * n, 3));
  x.fill(0, n, 2 * n);
  // Scale 1 (the row's max is 127): exact integers stay, midpoints go to the even neighbour.
  x.splice(2 * n, 6, 127, 2.5, -3.5, 0.5, -0.75, 100);
  for (const gpuLayout of [false, true]) {
    const want = ref.roundToInt8(Float64Array.from(x), n, 0);
    const got = await harness<number[]>(page, 'runRoundActivations', { x, rows, n, group: 0, gpuLayout, format: 'int8' });
    // f32 vs float64 may put a value across a midpoint: one step (max|x| / 127) off; the rest equal.
    const off = got.filter((g, i) => Math.abs(g - want[i]) > 1e-6 * Math.abs(want[i]) + 1e-30);
    expect(off.length, `gpu layout ${gpuLayout}`).toBeLessThanOrEqual(2);
    expect(got.slice(n, 2 * n).every((v) => v === 0)).toBe(true);
    expect(got.slice(2 * n, 2 * n + 6)).toEqual([127, 2, -4, 0, -1, 100]);
    const steps = new Set(got.slice(0, n).map((v) => Math.round((v * 127) / Math.max(...x.slice(0, n).map(Math.abs)))));
    expect(Math.max(...steps) - Math.min(...steps)).toBeGreaterThan(100);
  }
  const normed = ref.rmsNorm(Float64Array.from(x.slice(0, n)), Float64Array.from(x.slice(0, n)).fill(1), 1e-6);
  const want = ref.roundToInt8(normed, n, 0);
  const got = await harness<number[]>(page, 'runRmsNorm', { x: x.slice(0, n), weight: new Array(n).fill(1), rows: 1, n, eps: 1e-6, inPlace: false, roundGroup: 0, roundFormat: 'int8' });
  expect(got.filter((g, i) => Math.abs(g - want[i]) > 1e-5 * Math.abs(want[i]) + 1e-30).length, 'rmsnorm rounding to INT8').toBeLessThanOrEqual(2);
});

test('INT8 rounding with LLM.int8 outliers: values of |x| >= threshold kept, the scale from the others (rounding pass and rmsnorm)', async ({ page }) => {
  const rng = new Rng(34);
  const rows = 3, n = 160;
  const threshold = 2.5;
  const x = Array.from(rng.normals(rows * n, 1.2));
  // Row 1: outliers and zeros only (its scale would be 0: it stays). Row 2: the threshold itself is an outlier.
  x.fill(0, n, 2 * n);
  x.splice(n + 3, 2, 7, -9);
  x.splice(2 * n, 3, 2.5, -2.5, 2.4999);
  for (const gpuLayout of [false, true]) {
    const want = ref.roundToInt8(Float64Array.from(x), n, 0, threshold);
    const got = await harness<number[]>(page, 'runRoundActivations', { x, rows, n, group: 0, gpuLayout, format: 'int8', threshold });
    const off = got.filter((g, i) => Math.abs(g - want[i]) > 1e-6 * Math.abs(want[i]) + 1e-30);
    expect(off.length, `gpu layout ${gpuLayout}`).toBeLessThanOrEqual(2);
    // Outliers exactly as they were; the rest on a grid finer than the outliers would give.
    x.forEach((v, i) => Math.abs(v) >= threshold && expect(got[i]).toBe(v));
    expect(got.slice(n, 2 * n)).toEqual(x.slice(n, 2 * n));
    expect(x.slice(0, n).some((v) => Math.abs(v) >= threshold) && x.slice(0, n).some((v, i) => Math.abs(v) < threshold && got[i] !== v)).toBe(true);
  }
  // rmsnorm: the threshold applies to the normalized, weighted value (some cross it only once weighted), per row.
  const weight = Array.from(rng.normals(n, 0.5), (w) => 1 + w);
  const normed = ref.rmsNorm(Float64Array.from(x), Float64Array.from(weight), 1e-6);
  const unweighted = ref.rmsNorm(Float64Array.from(x), new Float64Array(n).fill(1), 1e-6);
  const want = ref.roundToInt8(normed, n, 0, threshold);
  const got = await harness<number[]>(page, 'runRmsNorm', { x, weight, rows, n, eps: 1e-6, inPlace: false, roundGroup: 0, roundFormat: 'int8', roundThreshold: threshold });
  expect(got.filter((g, i) => Math.abs(g - want[i]) > 1e-5 * Math.abs(want[i]) + 1e-30).length, 'rmsnorm rounding with outliers').toBeLessThanOrEqual(2);
  expect(normed.some((v, i) => Math.abs(v) >= threshold && Math.abs(unweighted[i]) < threshold)).toBe(true);
  expect(normed.some((v, i) => Math.abs(v) < threshold && Math.abs(unweighted[i]) >= threshold)).toBe(true);
});

test('rmsnorm that rounds its rows to E4M3 (W8A8 inputs): per row and per 48 values (not a multiple of the workgroup)', async ({ page }) => {
  const rng = new Rng(32);
  const rows = 3, n = 200;
  const x = Array.from(rng.normals(rows * n, 2));
  const weight = Array.from(rng.normals(n));
  const normed = ref.rmsNorm(Float64Array.from(x), Float64Array.from(weight), 1e-6);
  for (const group of [0, 48]) {
    const want = ref.roundToE4M3(normed, n, group);
    for (const inPlace of [true, false]) {
      const got = await harness<number[]>(page, 'runRmsNorm', { x, weight, rows, n, eps: 1e-6, inPlace, roundGroup: group });
      // As the rounding kernel's test: equal but where f32 lands a value across a rounding midpoint.
      const off = got.filter((g, i) => Math.abs(g - want[i]) > 1e-5 * Math.abs(want[i]) + 1e-30);
      expect(off.length, `group ${group}, in place: ${inPlace}`).toBeLessThanOrEqual(3);
    }
  }
});

test('rope: half-split rotation of q and k at an offset position, default, llama3 and YaRN frequencies', async ({ page }) => {
  const rng = new Rng(12);
  const headDim = 32;
  for (const scaling of [
    null,
    { type: 'llama3' as const, factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64 },
    { type: 'yarn' as const, factor: 4, originalMaxPositions: 64, betaFast: 32, betaSlow: 1, attentionFactor: 1.1386, truncate: true },
  ]) {
    const { invFreq, attentionScaling } = ropeInvFreqs({ headDim, ropeTheta: 10000, ropeScaling: scaling });
    const T = 3, nHeads = 5, nKvHeads = 2, pos = 1500;
    const q = Array.from(rng.normals(T * nHeads * headDim));
    const k = Array.from(rng.normals(T * nKvHeads * headDim));
    const wantQ = Float64Array.from(q);
    const wantK = Float64Array.from(k);
    ref.rope(wantQ, [pos, pos + 1, pos + 2], nHeads, headDim, invFreq, attentionScaling);
    ref.rope(wantK, [pos, pos + 1, pos + 2], nKvHeads, headDim, invFreq, attentionScaling);
    const cosSin = Array.from(ropeTable(invFreq, attentionScaling, pos + T));
    const got = await harness<{ q: number[]; k: number[] }>(page, 'runRope', { q, k, cosSin, T, nHeads, nKvHeads, headDim, pos });
    // The table keeps transformers' float32 angles p * f, off the float64 angle by up to p * 2^-24
    // radians; plus 1e-5 for float32 arithmetic on unit-scale values.
    const tol = 2 * (pos + T) * 2 ** -24 + 1e-5;
    expect(worst(got.q, wantQ, 1, 0)).toBeLessThan(tol);
    expect(worst(got.k, wantK, 1, 0)).toBeLessThan(tol);
  }
});

test('rope with Qwen3 head norms: each q and k head RMS-normalized with its gain, then rotated', async ({ page }) => {
  const rng = new Rng(18);
  for (const [headDim, T, nHeads, nKvHeads] of [[32, 3, 4, 2], [128, 2, 5, 1], [8, 5, 3, 3]]) {
    const { invFreq, attentionScaling } = ropeInvFreqs({ headDim, ropeTheta: 1e6, ropeScaling: null });
    const pos = 7;
    const q = Array.from(rng.normals(T * nHeads * headDim, 3));
    const k = Array.from(rng.normals(T * nKvHeads * headDim, 3));
    const qkNorm = { q: Array.from(rng.normals(headDim)), k: Array.from(rng.normals(headDim)), eps: 1e-6 };
    const positions = Array.from({ length: T }, (_, t) => pos + t);
    const wantQ = ref.rmsNorm(Float64Array.from(q), Float64Array.from(qkNorm.q), qkNorm.eps);
    const wantK = ref.rmsNorm(Float64Array.from(k), Float64Array.from(qkNorm.k), qkNorm.eps);
    ref.rope(wantQ, positions, nHeads, headDim, invFreq, attentionScaling);
    ref.rope(wantK, positions, nKvHeads, headDim, invFreq, attentionScaling);
    const cosSin = Array.from(ropeTable(invFreq, attentionScaling, pos + T));
    const got = await harness<{ q: number[]; k: number[] }>(page, 'runRope', { q, k, cosSin, T, nHeads, nKvHeads, headDim, pos, qkNorm });
    // RMSNorm (1e-5 relative to the largest gain) and a unit rotation, with the angle error of the
    // rope test: 2e-5 of the largest gain.
    const largest = (gain: number[]) => gain.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
    expect(worst(got.q, wantQ, largest(qkNorm.q), 0), `q, head ${headDim}`).toBeLessThan(2e-5);
    expect(worst(got.k, wantK, largest(qkNorm.k), 0), `k, head ${headDim}`).toBeLessThan(2e-5);
  }
});

test('rope into a half-precision KV cache: rotated keys and the values at the step position, nothing else touched', async ({ page }) => {
  const rng = new Rng(17);
  const T = 3, nHeads = 4, nKvHeads = 2, headDim = 16, pos = 5, rows = 10;
  const kvDim = nKvHeads * headDim;
  const { invFreq, attentionScaling } = ropeInvFreqs({ headDim, ropeTheta: 10000, ropeScaling: null });
  const q = Array.from(rng.normals(T * nHeads * headDim));
  const k = Array.from(rng.normals(T * kvDim));
  const v = Array.from(rng.normals(T * kvDim));
  const positions = [pos, pos + 1, pos + 2];
  const wantQ = Float64Array.from(q);
  const wantK = Float64Array.from(k);
  ref.rope(wantQ, positions, nHeads, headDim, invFreq, attentionScaling);
  ref.rope(wantK, positions, nKvHeads, headDim, invFreq, attentionScaling);
  const cosSin = Array.from(ropeTable(invFreq, attentionScaling, rows));
  const got = await harness<{ q: number[]; kCache: number[]; vCache: number[] }>(page, 'runRope', { q, k, v, cosSin, T, nHeads, nKvHeads, headDim, pos, rows });
  expect(worst(got.q, wantQ, 1, 0)).toBeLessThan(1e-5);
  const NAN_HALF = 0x7e00;
  for (const [name, cache, want] of [['k', got.kCache, wantK], ['v', got.vCache, v]] as const) {
    for (let r = 0; r < rows; r++) {
      const row = cache.slice(r * kvDim, (r + 1) * kvDim);
      if (r < pos || r >= pos + T) {
        expect(row.every((h) => h === NAN_HALF), `${name} row ${r} untouched`).toBe(true);
        continue;
      }
      // Round to nearest half of the f32 value: within one f16 rounding (2^-11 relative) of float64.
      const wantRow = Array.from(want.slice((r - pos) * kvDim, (r - pos + 1) * kvDim));
      expect(worst(row.map(f16BitsToF32), wantRow, wantRow.map(Math.abs), 1e-4), `${name} row ${r}`).toBeLessThan(2 ** -11 + 1e-5);
    }
  }
});

test('attention: causal GQA over the cache, short and multi-tile contexts', async ({ page }) => {
  const rng = new Rng(13);
  for (const { T, pos, nHeads, nKvHeads, headDim } of [
    { T: 1, pos: 0, nHeads: 2, nKvHeads: 1, headDim: 8 },
    { T: 4, pos: 3, nHeads: 4, nKvHeads: 2, headDim: 16 },
    { T: 2, pos: 150, nHeads: 4, nKvHeads: 4, headDim: 128 },
    { T: 70, pos: 0, nHeads: 2, nKvHeads: 1, headDim: 24 },
  ]) {
    const S = pos + T;
    const q = Array.from(rng.normals(T * nHeads * headDim));
    const k = Array.from(rng.normals(S * nKvHeads * headDim));
    const v = Array.from(rng.normals(S * nKvHeads * headDim));
    const want = ref.attention(Float64Array.from(q), Float64Array.from(k), Float64Array.from(v), T, pos, nHeads, nKvHeads, headDim);
    const got = await harness<number[]>(page, 'runAttention', { q, k, v, T, pos, nHeads, nKvHeads, headDim });
    // Softmax-weighted mean of unit-scale values: 1e-5 absolute.
    expect(worst(got, want, 1, 0), `T=${T} pos=${pos}`).toBeLessThan(1e-5);
    // A half-precision cache: the same, against the reference on the halves it holds.
    const half = (x: number[]) => Float64Array.from(x, (e) => f16BitsToF32(f32ToF16Bits(e)));
    const wantF16 = ref.attention(Float64Array.from(q), half(k), half(v), T, pos, nHeads, nKvHeads, headDim);
    const gotF16 = await harness<number[]>(page, 'runAttention', { q, k, v, T, pos, nHeads, nKvHeads, headDim, kvF16: true });
    expect(worst(gotF16, wantF16, 1, 0), `f16 cache T=${T} pos=${pos}`).toBeLessThan(1e-5);
    // Split into key slices merged afterwards (flash-decoding): more slices than tiles leaves some empty.
    for (const splits of [2, 5]) {
      const gotSplit = await harness<number[]>(page, 'runAttention', { q, k, v, T, pos, nHeads, nKvHeads, headDim, splits });
      expect(worst(gotSplit, want, 1, 0), `${splits} slices T=${T} pos=${pos}`).toBeLessThan(1e-5);
    }
    // The softmax reduced in workgroup memory alone, as on adapters without subgroups: both entry points.
    for (const splits of [1, 2]) {
      const gotShared = await harness<number[]>(page, 'runAttention', { q, k, v, T, pos, nHeads, nKvHeads, headDim, splits, subgroups: false });
      expect(worst(gotShared, want, 1, 0), `no subgroups, ${splits} slices T=${T} pos=${pos}`).toBeLessThan(1e-5);
    }
  }
});

test('silu(gate) * up', async ({ page }) => {
  const rng = new Rng(14);
  const gate = Array.from(rng.normals(1000, 3));
  const up = Array.from(rng.normals(1000));
  const got = await harness<number[]>(page, 'runSiluMul', { gate, up });
  const want = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]);
  expect(worst(got, want, want.map(Math.abs), 1e-6)).toBeLessThan(1e-5);
});

// ---- token pick ----
test('argmax: largest logit, lowest id on ties, large vocabulary', async ({ page }) => {
  const rng = new Rng(15);
  const logits = Array.from(rng.normals(151_936 / 4));
  logits[30_000] = 9;
  logits[20_000] = 9;
  logits[20_001] = 9;
  // The vocabulary cut into ~40 chunks of 1024 ids as on a GPU, and into 2 as on a CPU adapter.
  for (const cpuLayout of [false, true]) {
    expect(await harness<number[]>(page, 'runSample', { logits, greedy: true, draws: [0], cpuLayout }), `cpu layout: ${cpuLayout}`).toEqual([20_000]);
  }
  // The repetition penalty comes first, as in transformers' greedy search: 9 / 1.3 drops the
  // penalized tops under an 8, and a negative logit is multiplied (-0.5 * 1.3 < -0.6), not divided.
  logits[100] = 8;
  const penalized = [20_000, 20_001, 30_000];
  expect(await harness<number[]>(page, 'runSample', { logits, greedy: true, penalty: 1.3, penalized, draws: [0] })).toEqual([100]);
  expect(await harness<number[]>(page, 'runSample', { logits: [-1, -0.5, -0.6], greedy: true, penalty: 1.3, penalized: [1], draws: [0] })).toEqual([2]);
});

test('sample: matches the float64 reference draw for draw, and honours top-k, top-p and penalty', async ({ page }) => {
  const rng = new Rng(16);
  const logits = Array.from(rng.normals(500, 2));
  const draws = Array.from({ length: 24 }, (_, i) => i);
  for (const p of [
    { temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1 },
    { temperature: 0.6, topK: 0, topP: 0.95, repetitionPenalty: 1 },
    { temperature: 0.8, topK: 20, topP: 0.9, repetitionPenalty: 1.3 },
    { temperature: 1.5, topK: 1, topP: 1, repetitionPenalty: 1 },
    // Fewer tokens above eps than top-k asks for: nothing may be gathered.
    { temperature: 0.3, topK: 300, topP: 0.9, repetitionPenalty: 1 },
  ]) {
    const penalized = p.repetitionPenalty !== 1 ? [3, 17, 42, 99] : [];
    const got = await harness<number[]>(page, 'runSample', {
      logits, greedy: false, temperature: p.temperature, topK: p.topK, topP: p.topP, penalty: p.repetitionPenalty, penalized, seed: 1234, draws,
    });
    const kept = keptTokens(logits, p, penalized);
    for (const id of got) expect(kept.has(id), `pick ${id} outside the kept set`).toBe(true);
    const want = draws.map((d) => sampleRef(logits, p, drawUniform(1234, d), penalized));
    // Identical but for a draw landing within float rounding of a boundary between two tokens.
    const same = got.filter((id, i) => id === want[i]).length;
    expect(same, JSON.stringify(p)).toBeGreaterThanOrEqual(draws.length - 1);
    // The sums reduced in workgroup memory alone, as on adapters without subgroups.
    const shared = await harness<number[]>(page, 'runSample', {
      logits, greedy: false, temperature: p.temperature, topK: p.topK, topP: p.topP, penalty: p.repetitionPenalty, penalized, seed: 1234, draws, subgroups: false,
    });
    expect(shared.filter((id, i) => id === want[i]).length, `${JSON.stringify(p)}, no subgroups`).toBeGreaterThanOrEqual(draws.length - 1);
    // The vocabulary cut as on a GPU (one chunk here) rather than as on this CPU adapter (two).
    const gpuChunks = await harness<number[]>(page, 'runSample', {
      logits, greedy: false, temperature: p.temperature, topK: p.topK, topP: p.topP, penalty: p.repetitionPenalty, penalized, seed: 1234, draws, cpuLayout: false,
    });
    expect(gpuChunks.filter((id, i) => id === want[i]).length, `${JSON.stringify(p)}, GPU chunks`).toBeGreaterThanOrEqual(draws.length - 1);
  }
});

test('sample over a large, peaked vocabulary: the few tokens that can be kept are gathered, picks as the reference', async ({ page }) => {
  const rng = new Rng(19);
  // A model's usual shape: a few likely tokens far above a long flat tail.
  const peaked = Array.from(rng.normals(151_936 / 4));
  const likely: number[] = [];
  for (let i = 0; i < 40; i++) {
    const id = Math.floor(rng.next() * peaked.length);
    peaked[id] = 12 + 2 * rng.next();
    likely.push(id);
  }
  const withMidTail = Array.from(peaked);
  for (let i = 0; i < 3000; i++) {
    const id = Math.floor(rng.next() * peaked.length);
    if (!likely.includes(id)) withMidTail[id] = 6 + rng.next();
  }
  const draws = Array.from({ length: 24 }, (_, i) => i);
  for (const p of [
    { temperature: 0.6, topK: 0, topP: 0.95, repetitionPenalty: 1 },
    { temperature: 1, topK: 10, topP: 0.9, repetitionPenalty: 1 },
    // Half the likely tokens already in the context, spread over the chunks.
    { temperature: 0.6, topK: 0, topP: 0.95, repetitionPenalty: 1.3 },
    // A flat tail that matters: too many candidates to gather, the whole vocabulary is searched.
    { temperature: 4, topK: 0, topP: 0.99, repetitionPenalty: 1 },
    // 3,000 tokens above eps but far below the likely ones: gathered above a higher threshold.
    { temperature: 0.6, topK: 0, topP: 0.95, repetitionPenalty: 1, midTail: true },
    { temperature: 0.8, topK: 30, topP: 0.9, repetitionPenalty: 1.3, midTail: true },
  ]) {
    const logits = p.midTail ? withMidTail : peaked;
    const penalized = p.repetitionPenalty !== 1 ? likely.filter((_, i) => i % 2 === 0) : [];
    const kept = keptTokens(logits, p, penalized);
    const want = draws.map((d) => sampleRef(logits, p, drawUniform(99, d), penalized));
    // As this adapter cuts the vocabulary, as a GPU does (~40 chunks here), and (once) with the sums
    // in workgroup memory alone, as on adapters without subgroups.
    const variants = [{}, { cpuLayout: false }, ...(p.topK === 0 && p.topP === 0.95 && p.repetitionPenalty === 1 ? [{ subgroups: false }] : [])];
    for (const variant of variants) {
      const got = await harness<number[]>(page, 'runSample', {
        logits, greedy: false, temperature: p.temperature, topK: p.topK, topP: p.topP, penalty: p.repetitionPenalty, penalized, seed: 99, draws, ...variant,
      });
      const label = `${JSON.stringify(p)} ${JSON.stringify(variant)}`;
      for (const id of got) expect(kept.has(id), `${label}: pick ${id} outside the kept set`).toBe(true);
      expect(got.filter((id, i) => id === want[i]).length, label).toBeGreaterThanOrEqual(draws.length - 1);
    }
  }
});

/** 2 |q scale| + |bias| per value of an affine table: what its two f32 roundings are bounded by. */
function affineTerms(dtype: AffineDtype, bytes: Uint8Array, rows: number, cols: number): Float64Array {
  const { blockBytes } = DTYPE_LAYOUTS[dtype];
  const noBias = bytes.slice();
  const [at, end] = affineHalfHeader(dtype) ? [2, 4] : [4, 8];
  for (let b = 0; b < noBias.length; b += blockBytes) noBias.fill(0, b + at, b + end);
  const full = dequantizeRows(dtype, bytes, rows, cols);
  const scaled = dequantizeRows(dtype, noBias, rows, cols);
  return full.map((v, i) => 2 * Math.abs(scaled[i]) + Math.abs(v - scaled[i]));
}
