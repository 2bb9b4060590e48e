// y[t, n] (+)= sum_k x[t, k] * W[n, k] (+ bias[n])  — a Linear layer, W stored [N, K] row-major.
// `gemv` (decode, few tokens): TPR threads per weight row split K, WG / TPR rows per workgroup.
// `gemm` (prefill): GEMM_TILE^2 output tiles (32 or 64), weights dequantized into workgroup memory
// once per tile. `gemm_sgmat` (prefill, SGMAT): the same on the device's matrix units
// (chromium_experimental_subgroup_matrix), f32 inputs as pairs of halves, f32 accumulation.
// Variants: one WEIGHT_* type (see weights.wgsl), HAS_BIAS, ACCUMULATE (add into y: fuses the
// residual add into o_proj and down_proj), X_PERM (stored column k multiplies x[xperm[k]]: GPTQ
// act-order checkpoints, whose groups are contiguous only in that order), GLU (gemv only: W is the
// gate projection and W2 the up projection, y = silu(x W^T) * (x W2^T), SwiGLU in one pass).
// W may be one shard of a tensor split across bindings: it holds rows [0, N) of this shard, which
// land in output columns [colOffset, colOffset + N).
// SUBGROUPS (gemv): the TPR threads of a row add their sums by subgroup shuffles, no barriers.
// ROW_ALONE (gemv, TPR 1): each thread owns its row, there is nothing to add and no barrier.
// QKV (gemv): the q, k and v projections of one input in one launch, each workgroup on one matrix: W, W2, W3 write y, y2, y3 (k and v rows kvN long, at step.pos * yOffsetPerPos), with one
// bias [N + 2 kvN] for the three.
// ROPE (with QKV): RoPE is applied to q and k as they are stored, and with KV_F16 the rotated keys and
// the values go straight into the half-precision KV cache: no rope launch. The rows of each matrix run
// in rotation quads (quad_row), so a row and its partner D/2 away end in the same workgroup.
// NORM (gemv): x is RMS-normalized on the fly, y = (W diag(gain) x) * rsqrt(mean(x^2) + eps): the sum
// of squares comes from the same reads of x as the dot products, so the norm costs no launch.

#if SUBGROUPS
enable subgroups;
#endif
#if SGMAT
enable f16;
enable subgroups;
enable chromium_experimental_subgroup_matrix;
#endif
#if SG_ID
requires subgroup_id;
#endif

struct Params {
  T: u32,            // tokens (rows of x)
  K: u32,            // inputs per row
  N: u32,            // weight rows in this shard
  rowBytes: u32,     // bytes of one stored weight row
  colOffset: u32,    // output column of this shard's row 0
  yStride: u32,      // elements between rows of y
  yOffset: u32,      // elements before y[0, 0]
  yOffsetPerPos: u32,// extra elements per cache position: writes k/v straight into the KV cache
  normEps: f32,      // NORM: the RMSNorm epsilon
  kvN: u32,          // QKV: rows of the k and of the v projection
  headDim: u32,      // ROPE: dimensions per head
};

struct Step {
  pos: u32,          // cache position of token 0 of this batch
  seed: u32,
  draw: u32,
  pad: u32,
};

#if X_VEC4
// K a multiple of 4 and no column order: x read 16 bytes at a time (4x fewer loads than floats).
@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;    // [T, K / 4]
#else
@group(0) @binding(0) var<storage, read> x: array<f32>;          // [T, K]
#endif
@group(0) @binding(1) var<storage, read> w: array<u32>;          // [N, rowBytes] raw
@group(0) @binding(2) var<storage, read_write> y: array<f32>;    // [.., yStride]
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<uniform> step: Step;
#if HAS_BIAS
@group(0) @binding(5) var<storage, read> bias: array<f32>;       // [N] of this shard
#endif

#if X_PERM
@group(0) @binding(6) var<storage, read> xperm: array<u32>;      // [K]
#endif

#if NORM
#if X_VEC4
// Read as x is: one 16-byte load per 4 gains, not four.
@group(0) @binding(8) var<storage, read> gain: array<vec4<f32>>; // [K / 4] RMSNorm weight
#else
@group(0) @binding(8) var<storage, read> gain: array<f32>;       // [K] RMSNorm weight
#endif
#endif

#if QKV
@group(0) @binding(7) var<storage, read> w2: array<u32>;         // [kvN, rowBytes] raw: k projection
@group(0) @binding(9) var<storage, read> w3: array<u32>;         // [kvN, rowBytes] raw: v projection
#if KV_F16
@group(0) @binding(10) var<storage, read_write> kCache: array<u32>; // [maxSeq, kvN / 2] halves, two per u32
@group(0) @binding(11) var<storage, read_write> vCache: array<u32>;
#else
@group(0) @binding(10) var<storage, read_write> y2: array<f32>;  // keys
@group(0) @binding(11) var<storage, read_write> y3: array<f32>;  // values
#endif
#if ROPE
@group(0) @binding(12) var<storage, read> cosSin: array<vec2<f32>>; // [maxSeq, headDim / 2] (cos, sin)
#endif
var<private> mat: u32; // this workgroup's matrix: 0 q, 1 k, 2 v
fn wword(i: u32) -> u32 {
  if (mat == 1u) { return w2[i]; }
  if (mat == 2u) { return w3[i]; }
  return w[i];
}
#else
#if GLU
@group(0) @binding(7) var<storage, read> w2: array<u32>;         // [N, rowBytes] raw: up projection
// Up rows are addressed past the gate's words, so one decoder reads both matrices.
const UP_WORD: u32 = 0x20000000u;
const UP_BYTE: u32 = UP_WORD * 4u;
fn wword(i: u32) -> u32 {
  if (i >= UP_WORD) { return w2[i - UP_WORD]; }
  return w[i];
}
#else
fn wword(i: u32) -> u32 {
  return w[i];
}
#endif
#endif

#include "weights.wgsl"

// The input feature that stored column k multiplies.
fn xcol(k: u32) -> u32 {
#if X_PERM
  return xperm[k];
#else
  return k;
#endif
}

#if X_VEC4
fn x1(t: u32, k: u32) -> f32 {
  let i = t * p.K + k;
  return x[i >> 2u][i & 3u];
}

// k is a multiple of 4 wherever x4 is called.
fn x4(t: u32, k: u32) -> vec4<f32> {
  return x[(t * p.K + k) >> 2u];
}
#else
fn x1(t: u32, k: u32) -> f32 {
  return x[t * p.K + xcol(k)];
}

fn x4(t: u32, k: u32) -> vec4<f32> {
  return vec4<f32>(x1(t, k), x1(t, k + 1u), x1(t, k + 2u), x1(t, k + 3u));
}
#endif

#if NORM
#if X_VEC4
// k is a multiple of 4 wherever gain4 is called; X_VEC4 means no column order.
fn gain4(k: u32) -> vec4<f32> {
  return gain[k >> 2u];
}
fn gain1(k: u32) -> f32 {
  return gain[k >> 2u][k & 3u];
}
#else
fn gain4(k: u32) -> vec4<f32> {
  return vec4<f32>(gain[xcol(k)], gain[xcol(k + 1u)], gain[xcol(k + 2u)], gain[xcol(k + 3u)]);
}
fn gain1(k: u32) -> f32 {
  return gain[xcol(k)];
}
#endif
#else
fn gain4(k: u32) -> vec4<f32> {
  return vec4<f32>(1.0);
}
fn gain1(k: u32) -> f32 {
  return 1.0;
}
#endif

#if QKV
// Row n's bias in the packed [N + 2 kvN] buffer of this workgroup's matrix.
fn qkv_bias(n: u32) -> f32 {
#if HAS_BIAS
  return bias[select(n, p.N + (mat - 1u) * p.kvN + n, mat > 0u)];
#else
  return 0.0;
#endif
}
#endif

#if !ROPE
fn store(t: u32, n: u32, acc: f32) {
  var v = acc;
#if QKV
  v += qkv_bias(n);
  let kv = step.pos * p.yOffsetPerPos + t * p.kvN + n;
  if (mat == 0u) {
    y[t * p.N + n] = v;
  } else if (mat == 1u) {
    y2[kv] = v;
  } else {
    y3[kv] = v;
  }
#else
#if HAS_BIAS
  v += bias[n];
#endif
  let i = p.yOffset + step.pos * p.yOffsetPerPos + t * p.yStride + p.colOffset + n;
#if ACCUMULATE
  y[i] += v;
#else
  y[i] = v;
#endif
#endif
}
#endif

// ---- gemv ----
// TPR threads share one weight row (TPR divides WG), so a workgroup covers WG / TPR rows: few threads
// per row for short rows, many for long ones, and never a workgroup per row (151936 of them for an
// LM head would drown small GPUs in launch overhead).
const ROWS_PER_WG: u32 = WG / TPR;
const TT: u32 = 4u; // tokens per pass: each weight value decoded once serves TT tokens

// This lane's share of the dot products of one weight row with tokens t0 .. t0 + TT - 1 (the gains
// applied to x under NORM), and of the sums of squares of those tokens' x.
struct RowPart {
  dot: vec4<f32>,
  sq: vec4<f32>,
};

fn row_part(rowByte: u32, lane: u32, t0: u32) -> RowPart {
  var acc = vec4<f32>(0.0);
  var sq = vec4<f32>(0.0);
#if BLOCKS
  // Quantized rows: whole 32-value blocks per step. A block's scale multiplies its sum, not each of
  // its 32 values (weights.wgsl wblock_scale): one multiply fewer per weight for Q4_0 and Q8_0.
  for (var b = lane; b < p.K / 32u; b += TPR) {
    let wb = wblock(rowByte, b);
    let ws = wblock_scale(rowByte, b);
    for (var j = 0u; j < TT; j++) {
      if (t0 + j < p.T) {
        var s = 0.0;
        for (var q = 0u; q < 8u; q++) {
          let k = b * 32u + q * 4u;
          let xv = x4(t0 + j, k);
          s += dot(wb[q], xv * gain4(k));
#if NORM
          sq[j] += dot(xv, xv);
#endif
        }
        acc[j] += s * ws;
      }
    }
  }
#else
  let k4End = p.K & ~3u;
  for (var k = lane * 4u; k < k4End; k += TPR * 4u) {
    let wv = w4(rowByte, k);
    for (var j = 0u; j < TT; j++) {
      if (t0 + j < p.T) {
        let xv = x4(t0 + j, k);
        acc[j] += dot(wv, xv * gain4(k));
#if NORM
        sq[j] += dot(xv, xv);
#endif
      }
    }
  }
  for (var k = k4End + lane; k < p.K; k += TPR) {
    let wv = w1(rowByte, k);
    for (var j = 0u; j < TT; j++) {
      if (t0 + j < p.T) {
        let xv = x1(t0 + j, k);
        acc[j] += wv * xv * gain1(k);
#if NORM
        sq[j] += xv * xv;
#endif
      }
    }
  }
#endif
  return RowPart(acc, sq);
}

// Sums the TPR lanes of each row; lane 0 of the row gets the total. Every thread calls it. `one`: a
// single token in this pass (decode), so only the first component is summed, a quarter of the work.
#if ROW_ALONE
// One thread per row (CPU adapters): nothing to add, and no barrier, which CPU Vulkans (SwiftShader)
// run by switching between the workgroup's threads at every one.
fn row_sum(lid: u32, lane: u32, v: vec4<f32>, one: bool) -> vec4<f32> {
  return v;
}
#else
#if SUBGROUPS
// A row's TPR threads are consecutive lanes of one subgroup (src/gpu/subgroups.ts checks that).
// `one` is uniform (it depends on p.T alone), so the shuffles stay in uniform control flow.
fn row_sum(lid: u32, lane: u32, v: vec4<f32>, one: bool) -> vec4<f32> {
  var r = v;
  if (one) {
    for (var s = TPR / 2u; s > 0u; s >>= 1u) { r.x += subgroupShuffleXor(r.x, s); }
  } else {
    for (var s = TPR / 2u; s > 0u; s >>= 1u) { r += subgroupShuffleXor(r, s); }
  }
  return r;
}
#else
var<workgroup> partial: array<vec4<f32>, WG>;
fn row_sum(lid: u32, lane: u32, v: vec4<f32>, one: bool) -> vec4<f32> {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = TPR / 2u; s > 0u; s >>= 1u) {
    if (lane < s) {
      if (one) { partial[lid].x += partial[lid + s].x; } else { partial[lid] += partial[lid + s]; }
    }
    workgroupBarrier();
  }
  let r = partial[lid];
  workgroupBarrier();
  return r;
}
#endif
#endif

#if ROPE
// Each matrix's rows in quads: quad Q holds rows hD + 2j, hD + 2j + 1, hD + D/2 + 2j, hD + D/2 + 2j + 1
// of head h = Q / (D/4), j = Q % (D/4): dimensions i, i + 1 and their RoPE partners, so that a
// workgroup (ROWS_PER_WG a multiple of 4) holds both rows of every rotation, and the two halves of
// every pair an f16 cache packs in one u32.
fn quad_row(linear: u32) -> u32 {
  let quarter = p.headDim / 4u;
  let quad = linear / 4u;
  let m = linear % 4u;
  return (quad / quarter) * p.headDim + select(0u, p.headDim / 2u, m >= 2u) + 2u * (quad % quarter) + (m & 1u);
}

var<workgroup> quadVals: array<vec4<f32>, ROWS_PER_WG>; // each local row's (biased) outputs, TT tokens

// Member m's value for token t0 + j, rotated as rope.wgsl does (half-split pairing):
//   x'[i] = x[i] cos - x[i + D/2] sin,  x'[i + D/2] = x[i + D/2] cos + x[i] sin;  v is not rotated.
fn rotated(q0: u32, m: u32, n: u32, t: u32, j: u32) -> f32 {
  let x = quadVals[q0 + m][j];
  if (mat == 2u) { return x; }
  let half = p.headDim / 2u;
  let cs = cosSin[(step.pos + t) * half + n % p.headDim % half];
  let partner = quadVals[q0 + (m ^ 2u)][j];
  return select(x * cs.x + partner * cs.y, x * cs.x - partner * cs.y, m < 2u);
}

// Stores row n (local row `local`) of tokens t0 .. t0 + TT - 1, rotated. Every thread calls it: it
// holds the barriers around the exchange of a quad's values.
fn store_rotated(lane: u32, local: u32, n: u32, inRange: bool, t0: u32, r: vec4<f32>) {
  if (lane == 0u) { quadVals[local] = r + qkv_bias(n); }
  workgroupBarrier();
  if (lane == 0u && inRange) {
    let m = local % 4u;
    let q0 = local - m;
    for (var j = 0u; j < TT && t0 + j < p.T; j++) {
      let t = t0 + j;
      let val = rotated(q0, m, n, t, j);
      if (mat == 0u) {
        y[t * p.N + n] = val;
        continue;
      }
#if KV_F16
      // Members 0 and 2 hold even dimensions: each packs its value with the next member's.
      if ((m & 1u) == 0u) {
        let at = (step.pos + t) * (p.kvN / 2u) + n / 2u;
        let pair = pack2x16float(vec2<f32>(val, rotated(q0, m + 1u, n + 1u, t, j)));
        if (mat == 1u) { kCache[at] = pair; } else { vCache[at] = pair; }
      }
#else
      let kv = step.pos * p.yOffsetPerPos + t * p.kvN + n;
      if (mat == 1u) { y2[kv] = val; } else { y3[kv] = val; }
#endif
    }
  }
  workgroupBarrier();
}
#endif

@compute @workgroup_size(WG)
fn gemv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let lane = lid % TPR;
  let group = wid.x + wid.y * nwg.x;
#if QKV
  // Workgroups [0, gq) take q's rows, then gkv for k and gkv for v: each workgroup one matrix.
  let gq = (p.N + ROWS_PER_WG - 1u) / ROWS_PER_WG;
  let gkv = (p.kvN + ROWS_PER_WG - 1u) / ROWS_PER_WG;
  mat = select(select(2u, 1u, group < gq + gkv), 0u, group < gq);
  let first = select(gq + (mat - 1u) * gkv, 0u, mat == 0u);
  let rows = select(p.N, p.kvN, mat > 0u);
#if ROPE
  let linear = (group - first) * ROWS_PER_WG + lid / TPR;
  let n = quad_row(min(linear, rows - 1u));
#else
  let n = (group - first) * ROWS_PER_WG + lid / TPR;
#endif
#else
  let n = group * ROWS_PER_WG + lid / TPR;
  let rows = p.N;
#endif
#if ROPE
  let inRange = linear < rows;  // per thread; barriers below stay in uniform control flow
#else
  let inRange = n < rows;  // per thread; barriers below stay in uniform control flow
#endif
  let rowByte = min(n, rows - 1u) * p.rowBytes;
  let one = p.T == 1u;
  for (var t0 = 0u; t0 < p.T; t0 += TT) {
    let part = row_part(rowByte, lane, t0);
#if NORM
    let inv = inverseSqrt(row_sum(lid, lane, part.sq, one) / f32(p.K) + p.normEps);
#else
    let inv = vec4<f32>(1.0);
#endif
    let r = row_sum(lid, lane, part.dot, one) * inv;
#if GLU
    let u = row_sum(lid, lane, row_part(UP_BYTE + rowByte, lane, t0).dot, one) * inv;
#endif
#if ROPE
    store_rotated(lane, lid / TPR, n, inRange, t0, r);
#else
    if (lane == 0u && inRange) {
      for (var j = 0u; j < TT; j++) {
        if (t0 + j < p.T) {
#if GLU
          let g = r[j];
          store(t0 + j, n, g / (1.0 + exp(-g)) * u[j]);
#else
          store(t0 + j, n, r[j]);
#endif
        }
      }
    }
#endif
  }
}

// ---- gemm ----
// The values a GEMM stages in workgroup memory, 4 inputs at a time (k a multiple of 4), zero past the
// edges of x (t >= T) and W (n >= N) and past K.
fn x_tile4(t: u32, k: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (t < p.T) {
    if (k + 4u <= p.K) {
      v = x4(t, k);
    } else {
      for (var e = 0u; e < 4u; e++) {
        if (k + e < p.K) { v[e] = x1(t, k + e); }
      }
    }
  }
  return v;
}

fn w_tile4(n: u32, k: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (n < p.N) {
    let rowByte = n * p.rowBytes;
    if (k + 4u <= p.K) {
      v = w4(rowByte, k);
    } else {
      for (var e = 0u; e < 4u; e++) {
        if (k + e < p.K) { v[e] = w1(rowByte, k + e); }
      }
    }
  }
  return v;
}

#if GEMM
// GEMM_TILE x GEMM_TILE outputs (tokens x rows) per workgroup of (GEMM_TILE / 4)^2 threads, 4 x 4
// outputs each; K in steps of KSTEP, x and dequantized weights staged in workgroup memory.
const GT: u32 = GEMM_TILE / 4u;
const GTHREADS: u32 = GT * GT;
// 32-wide tiles step K by 32, 64-wide ones by 16: either way the two tiles take 8.5 KB or less.
const KSTEP: u32 = 1024u / GEMM_TILE;
var<workgroup> xs: array<f32, GEMM_TILE * KSTEP>;        // [tokens][KSTEP k]
var<workgroup> ws: array<f32, GEMM_TILE * (KSTEP + 1u)>; // [rows][KSTEP + 1 k]: padded against bank conflicts

@compute @workgroup_size(GT, GT)
fn gemm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let n0 = wid.x * GEMM_TILE;
  let t0 = wid.y * GEMM_TILE;
  var acc = array<array<f32, 4>, 4>();
  for (var k0 = 0u; k0 < p.K; k0 += KSTEP) {
    // x and weight tiles: GEMM_TILE rows x KSTEP / 4 groups of 4 each, 4 groups per thread.
    for (var g = lid; g < GEMM_TILE * KSTEP / 4u; g += GTHREADS) {
      let r = g / (KSTEP / 4u);
      let kk = (g % (KSTEP / 4u)) * 4u;
      let xv = x_tile4(t0 + r, k0 + kk);
      let ox = r * KSTEP + kk;
      xs[ox] = xv.x; xs[ox + 1u] = xv.y; xs[ox + 2u] = xv.z; xs[ox + 3u] = xv.w;
      let wv = w_tile4(n0 + r, k0 + kk);
      let ow = r * (KSTEP + 1u) + kk;
      ws[ow] = wv.x; ws[ow + 1u] = wv.y; ws[ow + 2u] = wv.z; ws[ow + 3u] = wv.w;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KSTEP; kk++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) {
        a[i] = xs[(lid3.y * 4u + i) * KSTEP + kk];
        b[i] = ws[(lid3.x * 4u + i) * (KSTEP + 1u) + kk];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i][j] += a[i] * b[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      let t = t0 + lid3.y * 4u + i;
      let n = n0 + lid3.x * 4u + j;
      if (t < p.T && n < p.N) { store(t, n, acc[i][j]); }
    }
  }
}
#endif

// ---- gemm on subgroup matrices (tensor cores) ----
#if SGMAT
// SG_GRID x SG_GRID subgroups per workgroup (of SG_SIZE threads, the adapter's only subgroup size)
// each compute SG_FRAGS x SG_FRAGS fragments of SG_M x SG_N outputs (tokens x rows) on the device's
// matrix units: x and the decoded weights staged in workgroup memory as pairs of halves
// (split_halves), SKSTEP inputs at a time, and multiplied with f32 accumulation. Staging, not the
// matrix units, bounds this kernel: in a grid of 2 x 2 subgroups each staged value feeds twice as
// many fragments as with one. A grid needs WGSL's subgroup_id (SG_ID), to tell each subgroup its
// quarter; every matrix call stays in workgroup-uniform control flow, as WGSL's uniformity analysis
// demands, with only its offsets differing between subgroups.
const SUB_T: u32 = SG_FRAGS * SG_M; // one subgroup's outputs
const SUB_N: u32 = SG_FRAGS * SG_N;
const TILE_T: u32 = SG_GRID * SUB_T; // the workgroup's
const TILE_N: u32 = SG_GRID * SUB_N;
const FRAGS: u32 = SG_FRAGS * SG_FRAGS;
const SG_THREADS: u32 = SG_GRID * SG_GRID * SG_SIZE;
const SKSTEP: u32 = 16u;
// Staged rows are SKSTEP + 8 halves apart: 16-byte aligned for the matrix loads, and each row starts
// on other banks than the row before.
const SROW: u32 = SKSTEP + 8u;
var<workgroup> xhi: array<f16, TILE_T * SROW>; // [tokens][k]: the left matrices, row-major
var<workgroup> xlo: array<f16, TILE_T * SROW>;
var<workgroup> whi: array<f16, TILE_N * SROW>; // [rows][k]: W^T, the right matrices, column-major
var<workgroup> wlo: array<f16, TILE_N * SROW>;
// One result fragment per subgroup on its way to y, first its hi hi' products, then its cross
// products: one slot, not two, so that 64 x 64 tiles of 16 x 16 fragments take 16 KiB with the
// staged tiles (src/kernels/matmul.ts sgmatWorkgroupBytes).
var<workgroup> frag: array<f32, SG_GRID * SG_GRID * SG_M * SG_N>;
// A thread's share of a fragment.
const FRAG_PER_THREAD: u32 = (SG_M * SG_N + SG_SIZE - 1u) / SG_SIZE;

// An f32 as two halves: hi = f16(v) and lo = f16((v - hi) * LO_SCALE) (v - hi is exact in f32). The
// products hi hi' + (hi lo' + lo hi') / LO_SCALE give v v' within about 3 * 2^-22 |v v'| (the dropped
// lo lo' term and the rounding of the lo parts), where one f16 product is off by up to 2^-10: f32
// accuracy from f16 matrix units, three multiplies instead of one (CUTLASS's 3xTF32 does the same
// with tf32). LO_SCALE keeps the lo parts of values down to about 2^-13 out of f16's subnormals,
// which a device may flush to zero (lavapipe does). Magnitudes are clamped to 65504, the largest
// half, first (WGSL leaves larger ones undefined; a tile that had any is recomputed in f32 below);
// then |v - hi| <= 32 and lo stays finite. hi is rounded through pack2x16float: Mesa folds
// f32(f16(c)) back to c, which made every lo part zero.
const F16_MAX: f32 = 65504.0;
const F16_MIN_NORMAL: f32 = 6.103515625e-5; // 2^-14
const LO_SCALE: f32 = 1024.0;
fn split_halves(v: vec4<f32>) -> array<vec4<f16>, 2> {
  let c = clamp(v, vec4<f32>(-F16_MAX), vec4<f32>(F16_MAX));
  let rounded = vec4<f32>(unpack2x16float(pack2x16float(c.xy)), unpack2x16float(pack2x16float(c.zw)));
  // A value too small for a normal half goes in lo alone, LO_SCALE times larger: a subnormal hi
  // could be flushed.
  let hi = select(rounded, vec4<f32>(0.0), abs(c) < vec4<f32>(F16_MIN_NORMAL));
  return array<vec4<f16>, 2>(vec4<f16>(hi), vec4<f16>((c - hi) * LO_SCALE));
}

// Set when a staged input is beyond f16's range (or not finite): the workgroup then computes its
// tile again in plain f32 (gemm_sgmat_f32_tile), so that clamping never changes a result.
var<workgroup> outOfRange: u32;
fn check_range(v: vec4<f32>) {
  if (any(!(abs(v) <= vec4<f32>(F16_MAX)))) { outOfRange = 1u; }
}

// The tile's outputs from f32 products, one at a time: the rare tile whose inputs halves cannot hold.
fn gemm_sgmat_f32_tile(lid: u32, t0: u32, n0: u32) {
  for (var e = lid; e < TILE_T * TILE_N; e += SG_THREADS) {
    let t = t0 + e / TILE_N;
    let n = n0 + e % TILE_N;
    if (t < p.T && n < p.N) {
      var acc = 0.0;
      for (var k = 0u; k < p.K; k += 4u) { acc += dot(x_tile4(t, k), w_tile4(n, k)); }
      store(t, n, acc);
    }
  }
}

alias Left = subgroup_matrix_left<f16, SG_K, SG_M>;
alias Right = subgroup_matrix_right<f16, SG_N, SG_K>;
alias Result = subgroup_matrix_result<f32, SG_N, SG_M>;

@compute @workgroup_size(SG_THREADS)
#if SG_ID
fn gemm_sgmat(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
              @builtin(subgroup_id) sg: u32, @builtin(subgroup_invocation_id) lane: u32) {
#else
fn gemm_sgmat(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let sg = 0u;
  let lane = lid;
#endif
  let n0 = wid.x * TILE_N;
  let t0 = wid.y * TILE_T;
  // This subgroup's outputs within the tile, as offsets into the staged rows.
  let xRow0 = (sg / SG_GRID) * SUB_T * SROW;
  let wRow0 = (sg % SG_GRID) * SUB_N * SROW;
  var accHi: array<Result, FRAGS>;
  var accLo: array<Result, FRAGS>;
  for (var k0 = 0u; k0 < p.K; k0 += SKSTEP) {
    // Both tiles: up to max(TILE_T, TILE_N) rows of SKSTEP / 4 groups of 4 inputs.
    for (var g = lid; g < max(TILE_T, TILE_N) * SKSTEP / 4u; g += SG_THREADS) {
      let r = g / (SKSTEP / 4u);
      let kk = (g % (SKSTEP / 4u)) * 4u;
      let o = r * SROW + kk;
      if (r < TILE_T) {
        let v = x_tile4(t0 + r, k0 + kk);
        check_range(v);
        let h = split_halves(v);
        xhi[o] = h[0].x; xhi[o + 1u] = h[0].y; xhi[o + 2u] = h[0].z; xhi[o + 3u] = h[0].w;
        xlo[o] = h[1].x; xlo[o + 1u] = h[1].y; xlo[o + 2u] = h[1].z; xlo[o + 3u] = h[1].w;
      }
      if (r < TILE_N) {
        let v = w_tile4(n0 + r, k0 + kk);
        check_range(v);
        let h = split_halves(v);
        whi[o] = h[0].x; whi[o + 1u] = h[0].y; whi[o + 2u] = h[0].z; whi[o + 3u] = h[0].w;
        wlo[o] = h[1].x; wlo[o + 1u] = h[1].y; wlo[o + 2u] = h[1].z; wlo[o + 3u] = h[1].w;
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < SKSTEP; kk += SG_K) {
      var bhi: array<Right, SG_FRAGS>;
      var blo: array<Right, SG_FRAGS>;
      for (var j = 0u; j < SG_FRAGS; j++) {
        bhi[j] = subgroupMatrixLoad<Right, col_major>(&whi, wRow0 + j * SG_N * SROW + kk, SROW);
        blo[j] = subgroupMatrixLoad<Right, col_major>(&wlo, wRow0 + j * SG_N * SROW + kk, SROW);
      }
      for (var i = 0u; i < SG_FRAGS; i++) {
        let ahi = subgroupMatrixLoad<Left, row_major>(&xhi, xRow0 + i * SG_M * SROW + kk, SROW);
        let alo = subgroupMatrixLoad<Left, row_major>(&xlo, xRow0 + i * SG_M * SROW + kk, SROW);
        for (var j = 0u; j < SG_FRAGS; j++) {
          let f = i * SG_FRAGS + j;
          accHi[f] = subgroupMatrixMultiplyAccumulate(ahi, bhi[j], accHi[f]);
          accLo[f] = subgroupMatrixMultiplyAccumulate(alo, bhi[j], accLo[f]);
          accLo[f] = subgroupMatrixMultiplyAccumulate(ahi, blo[j], accLo[f]);
        }
      }
    }
    workgroupBarrier();
  }
  if (workgroupUniformLoad(&outOfRange) != 0u) {
    gemm_sgmat_f32_tile(lid, t0, n0);
    return;
  }
  // Each fragment goes through this subgroup's slot of workgroup memory twice: its hi products into
  // registers, then its cross products added to them; store() adds the bias, accumulates and keeps
  // the edge tiles' outputs within T and N.
  let slot = sg * SG_M * SG_N;
  let tSub = t0 + (sg / SG_GRID) * SUB_T;
  let nSub = n0 + (sg % SG_GRID) * SUB_N;
  for (var f = 0u; f < FRAGS; f++) {
    subgroupMatrixStore<row_major>(&frag, slot, accHi[f], SG_N);
    workgroupBarrier();
    var hi: array<f32, FRAG_PER_THREAD>;
    for (var i = 0u; i < FRAG_PER_THREAD; i++) {
      let e = lane + i * SG_SIZE;
      if (e < SG_M * SG_N) { hi[i] = frag[slot + e]; }
    }
    workgroupBarrier();
    subgroupMatrixStore<row_major>(&frag, slot, accLo[f], SG_N);
    workgroupBarrier();
    for (var i = 0u; i < FRAG_PER_THREAD; i++) {
      let e = lane + i * SG_SIZE;
      let t = tSub + (f / SG_FRAGS) * SG_M + e / SG_N;
      let n = nSub + (f % SG_FRAGS) * SG_N + e % SG_N;
      if (e < SG_M * SG_N && t < p.T && n < p.N) { store(t, n, hi[i] + frag[slot + e] / LO_SCALE); }
    }
    workgroupBarrier();
  }
}
#endif
