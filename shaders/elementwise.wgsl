// SwiGLU activation in place: gate[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)).

struct Params {
  count: u32,
};

@group(0) @binding(0) var<storage, read_write> gate: array<f32>;   // [T, ffn]
@group(0) @binding(1) var<storage, read> up: array<f32>;           // [T, ffn]
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn silu_mul(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.count) { return; }
  let g = gate[i];
  gate[i] = g / (1.0 + exp(-g)) * up[i];
}
