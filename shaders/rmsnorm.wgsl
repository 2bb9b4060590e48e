// RMSNorm over rows of n values: y = x * rsqrt(mean(x^2) + eps) * weight, in f32.
// Rows start at offset + step.pos * offsetPerPos + r * n, so the same kernel normalizes the residual
// stream, the last token only (final norm) and per-head q/k rows inside the KV cache (Qwen3).
// INPLACE: y is x (one binding: a buffer may not be bound twice as writable).

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
  for (var i = lid; i < p.n; i += WG) { x[xi + i] = x[xi + i] * inv * weight[i]; }
#else
  let yi = p.outOffset + shift;
  for (var i = lid; i < p.n; i += WG) { y[yi + i] = x[xi + i] * inv * weight[i]; }
#endif
}
