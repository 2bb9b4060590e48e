// FP8 E4M3 rounding shared by the kernels that round W8A8 activations (fp8-activations.wgsl, and
// rmsnorm.wgsl where it rounds the normed rows itself). The includer declares
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
