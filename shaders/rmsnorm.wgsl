// RMSNorm over rows of n values: y = x * rsqrt(mean(x^2) + eps) * weight, in f32.
// Rows start at offset + step.pos * offsetPerPos + r * n, so the same kernel normalizes the residual
// stream, the last token only (final norm) and per-head q/k rows inside the KV cache (Qwen3).
// INPLACE: y is x (one binding: a buffer may not be bound twice as writable).
// ROUND: the normed row is then rounded to its 8-bit grid as W8A8 checkpoints round a matmul's input
// (activation-rounding.wgsl; FP8 E4M3, or INT8 with ROUND_INT8, LLM.int8's outliers kept with
// ROUND_OUTLIERS), per ROUND_GROUP values (0: the whole row), saving that kernel's launch.

struct Params {
  n: u32,
  eps: f32,
  inOffset: u32,
  outOffset: u32,
  offsetPerPos: u32,   // applied to both in and out
};

struct Step {
  pos: u32,
  seed: u32,
  draw: u32,
  pad: u32,
};

#if INPLACE
@group(0) @binding(0) var<storage, read_write> x: array<f32>;
#else
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
#endif
@group(0) @binding(1) var<storage, read> weight: array<f32>;   // [n]
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<uniform> step: Step;

var<workgroup> red: array<f32, WG>;

#if ROUND
#include "rounding.wgsl"

// Rounds y[start .. start + n) per group, as activation-rounding.wgsl does; every thread calls it.
fn round_groups(start: u32, lid: u32) {
  storageBarrier(); // a group's values were normed by other threads
  let group = select(p.n, min(ROUND_GROUP, p.n), ROUND_GROUP > 0u);
  for (var g0 = 0u; g0 < p.n; g0 += group) {
    let len = min(group, p.n - g0);
    var m = 0.0;
    for (var i = lid; i < len; i += WG) { m = max(m, grid_magnitude(out_at(start + g0 + i))); }
    let amax = workgroup_max(lid, m);
    if (amax > 0.0) {
      for (var i = lid; i < len; i += WG) { set_out(start + g0 + i, round_to_grid(out_at(start + g0 + i), amax)); }
    }
  }
}
#endif

#if INPLACE
fn out_at(i: u32) -> f32 { return x[i]; }
fn set_out(i: u32, v: f32) { x[i] = v; }
#else
fn out_at(i: u32) -> f32 { return y[i]; }
fn set_out(i: u32, v: f32) { y[i] = v; }
#endif

@compute @workgroup_size(WG)
fn rmsnorm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let shift = step.pos * p.offsetPerPos + wid.x * p.n;
  let xi = p.inOffset + shift;
  var ss = 0.0;
  for (var i = lid; i < p.n; i += WG) {
    let v = x[xi + i];
    ss += v * v;
  }
  red[lid] = ss;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let inv = inverseSqrt(red[0] / f32(p.n) + p.eps);
#if INPLACE
  let yi = xi;
#else
  let yi = p.outOffset + shift;
#endif
  for (var i = lid; i < p.n; i += WG) { set_out(yi + i, x[xi + i] * inv * weight[i]); }
#if ROUND
  round_groups(yi, lid);
#endif
}
