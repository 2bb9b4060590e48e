// Embedding lookup: x[t, :] = E[tokens[t], :], decoding the table's rows as stored (any WEIGHT_*).
// The table may be split across bindings: this shard holds rows [rowStart, rowStart + nRows) and
// writes only the tokens that fall inside it.

struct Params {
  T: u32,
  H: u32,
  rowStart: u32,
  nRows: u32,
  rowBytes: u32,
};

@group(0) @binding(0) var<storage, read> tokens: array<u32>;      // [T]
@group(0) @binding(1) var<storage, read> w: array<u32>;           // [nRows, rowBytes] raw
@group(0) @binding(2) var<storage, read_write> x: array<f32>;     // [T, H]
@group(0) @binding(3) var<uniform> p: Params;

fn wword(i: u32) -> u32 {
  return w[i];
}

#include "weights.wgsl"

@compute @workgroup_size(64)
fn embed(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.T * p.H) { return; }
  let t = i / p.H;
  let k = i % p.H;
  let id = tokens[t];
  if (id < p.rowStart || id >= p.rowStart + p.nRows) { return; }
  x[i] = w1((id - p.rowStart) * p.rowBytes, k);
}
