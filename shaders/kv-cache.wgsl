// Appends T tokens' keys or values to a half-precision KV cache: src holds them as f32 [T, kvDim]
// (after RoPE for keys); the cache row of token t is step.pos + t, two halves packed per u32, so the
// cache takes half the memory and attention reads half the bytes. pack2x16float needs no shader-f16.

struct Params {
  count: u32,     // u32 words to write: T * kvDim / 2
  rowWords: u32,  // words per cache row: kvDim / 2
};

struct Step {
  pos: u32,
  seed: u32,
  draw: u32,
  pad: u32,
};

@group(0) @binding(0) var<storage, read> src: array<f32>;          // [T, kvDim]
@group(0) @binding(1) var<storage, read_write> cache: array<u32>;  // [maxSeq, kvDim / 2]
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<uniform> step: Step;

@compute @workgroup_size(256)
fn store_f16(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.count) { return; }
  cache[step.pos * p.rowWords + i] = pack2x16float(vec2<f32>(src[2u * i], src[2u * i + 1u]));
}
