// Rounding of W8A8 activations to their 8-bit grid, shared by the kernels that do it
// (activation-rounding.wgsl, and rmsnorm.wgsl where it rounds the normed rows itself). A group of
// values with largest magnitude amax takes the checkpoint's dynamic scale and comes back on its grid:
// FP8 E4M3 with scale amax / 448 (transformers and vLLM), or with ROUND_INT8 INT8 with scale
// amax / 127 (vLLM's per-token dynamic int8: rint(x * 127 / amax), clamped to [-128, 127]).
// ROUND_OUTLIERS (INT8, bitsandbytes LLM.int8): values of magnitude ROUND_THRESHOLD_BITS (an f32's
// bits) or more keep their value and take no part in amax (grid_magnitude).
// The includer declares
//   var<workgroup> red: array<f32, WG>;

const E4M3_MAX: f32 = 448.0;

// The E4M3 value nearest to v (|v| <= 448), ties to even: 3 mantissa bits in v's binade, spacing
// 2^-9 below 2^-6 (subnormals). Powers of two built from their bits, so the scaling by them is exact.
fn round_e4m3(v: f32) -> f32 {
  let a = abs(v);
  let e = max(i32((bitcast<u32>(a) >> 23u) & 0xffu) - 127, -6);
  let step = bitcast<f32>(u32(e - 3 + 127) << 23u);
  let invStep = bitcast<f32>(u32(127 - (e - 3)) << 23u);
  return sign(v) * min(round(a * invStep) * step, E4M3_MAX);
}

#if ROUND_OUTLIERS
fn is_outlier(v: f32) -> bool {
  return abs(v) >= bitcast<f32>(ROUND_THRESHOLD_BITS);
}
#else
fn is_outlier(v: f32) -> bool {
  return false;
}
#endif

// |v| where v counts toward its group's amax; outliers count 0.
fn grid_magnitude(v: f32) -> f32 {
  return select(abs(v), 0.0, is_outlier(v));
}

// v on the grid of a group whose largest magnitude is amax (> 0). WGSL's round() ties to even.
fn round_to_grid(v: f32, amax: f32) -> f32 {
  if (is_outlier(v)) { return v; }
#if ROUND_INT8
  return clamp(round(v * (127.0 / amax)), -128.0, 127.0) * (amax / 127.0);
#else
  let scale = amax / E4M3_MAX;
  return round_e4m3(v / scale) * scale;
#endif
}

// The largest of the workgroup's m, through `red`. Every thread calls it; the first barrier keeps
// red until all threads have read the result of a reduction before it.
fn workgroup_max(lid: u32, m: f32) -> f32 {
  workgroupBarrier();
  red[lid] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  return red[0];
}
