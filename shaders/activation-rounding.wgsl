// Rounds activations in place to the 8-bit grid of a W8A8 checkpoint, as they run in transformers
// (compressed-tensors' forward) and vLLM: each group of `group` values of a row (group = n: the whole
// row, one token) gets its dynamic scale from max|x| and its values rounded (rounding.wgsl: FP8 E4M3,
// or INT8 with ROUND_INT8, outliers kept with ROUND_OUTLIERS). One workgroup per (group, row); the
// grid is [groups per row, rows].

struct Params {
  n: u32,      // values per row
  group: u32,  // values sharing a scale (the last group of a row may be shorter)
};

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;

var<workgroup> red: array<f32, WG>;

#include "rounding.wgsl"

@compute @workgroup_size(WG)
fn round_activations(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let first = wid.x * p.group;
  let start = wid.y * p.n + first;
  let len = min(p.group, p.n - first);
  var m = 0.0;
  for (var i = lid; i < len; i += WG) { m = max(m, grid_magnitude(x[start + i])); }
  let amax = workgroup_max(lid, m);
  // An all-zero group stays zero (its scale would be 0); so does one of outliers and zeros.
  if (amax == 0.0) { return; }
  for (var i = lid; i < len; i += WG) { x[start + i] = round_to_grid(x[start + i], amax); }
}
