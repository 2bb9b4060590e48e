// Rotary position embedding, half-split ("NeoX") pairing as Hugging Face Qwen2/Qwen3/Llama do:
//   x'[i]       = x[i] cos(p f_i) - x[i + D/2] sin(p f_i)
//   x'[i + D/2] = x[i + D/2] cos(p f_i) + x[i] sin(p f_i)
// cos/sin come from a table computed on the CPU in float64 (llama3 / YaRN frequencies and attention
// scaling applied): WGSL's own cos/sin are only accurate to 2^-11.
// In place on rows [T, nHeads * headDim] starting at offset + step.pos * offsetPerPos; token t sits at
// position step.pos + t.

struct Params {
  T: u32,
  nHeads: u32,
  headDim: u32,
  offset: u32,
  offsetPerPos: u32,
};

struct Step {
  pos: u32,
  seed: u32,
  draw: u32,
  pad: u32,
};

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> cosSin: array<vec2<f32>>;   // [maxSeq, headDim / 2]
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<uniform> step: Step;

@compute @workgroup_size(64)
fn rope(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let half = p.headDim / 2u;
  let id = gid.x + gid.y * nwg.x * 64u;
  if (id >= p.T * p.nHeads * half) { return; }
  let i = id % half;
  let h = (id / half) % p.nHeads;
  let t = id / (half * p.nHeads);
  let cs = cosSin[(step.pos + t) * half + i];
  let c = cs.x;
  let s = cs.y;
  let base = p.offset + step.pos * p.offsetPerPos + (t * p.nHeads + h) * p.headDim + i;
  let a = x[base];
  let b = x[base + half];
  x[base] = a * c - b * s;
  x[base + half] = b * c + a * s;
}
