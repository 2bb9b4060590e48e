// Rotary position embedding, half-split ("NeoX") pairing as Hugging Face Qwen2/Qwen3/Llama do:
//   x'[i]       = x[i] cos(p f_i) - x[i + D/2] sin(p f_i)
//   x'[i + D/2] = x[i + D/2] cos(p f_i) + x[i] sin(p f_i)
// cos/sin come from a table computed on the CPU in float64 (llama3 / YaRN frequencies and attention
// scaling applied): WGSL's own cos/sin are only accurate to 2^-11.
// One dispatch rotates the queries and the keys of T tokens (token t sits at position step.pos + t)
// and, with KV_F16, also appends the rotated keys and the values to the half-precision KV cache, two
// halves packed per u32 (pack2x16float needs no shader-f16): one launch where four were.
// Each thread takes dimensions i, i + 1 (i even, first half) of one head and their partners at D/2.

struct Params {
  T: u32,
  nHeads: u32,        // query heads
  nKvHeads: u32,      // key (and value) heads
  headDim: u32,
  kOffsetPerPos: u32, // elements per cache position before k[0]: an f32 cache holds k at row step.pos
};

struct Step {
  pos: u32,
  seed: u32,
  draw: u32,
  pad: u32,
};

@group(0) @binding(0) var<storage, read_write> q: array<f32>;       // [T, nHeads * headDim]
@group(0) @binding(1) var<storage, read_write> k: array<f32>;       // [T, nKvHeads * headDim]
@group(0) @binding(2) var<storage, read> cosSin: array<vec2<f32>>;  // [maxSeq, headDim / 2]
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<uniform> step: Step;
#if KV_F16
@group(0) @binding(5) var<storage, read> v: array<f32>;             // [T, nKvHeads * headDim]
@group(0) @binding(6) var<storage, read_write> kCache: array<u32>;  // [maxSeq, nKvHeads * headDim / 2]
@group(0) @binding(7) var<storage, read_write> vCache: array<u32>;
#endif

@compute @workgroup_size(64)
fn rope(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let half = p.headDim / 2u;
  let pairs = p.headDim / 4u;
  let heads = p.nHeads + p.nKvHeads;
  let id = gid.x + gid.y * nwg.x * 64u;
  if (id >= p.T * heads * pairs) { return; }
  let i = (id % pairs) * 2u;
  let h = (id / pairs) % heads;
  let t = id / (pairs * heads);
  let cs0 = cosSin[(step.pos + t) * half + i];
  let cs1 = cosSin[(step.pos + t) * half + i + 1u];
  let c = vec2<f32>(cs0.x, cs1.x);
  let s = vec2<f32>(cs0.y, cs1.y);
  if (h < p.nHeads) {
    let at = (t * p.nHeads + h) * p.headDim + i;
    let a = vec2<f32>(q[at], q[at + 1u]);
    let b = vec2<f32>(q[at + half], q[at + half + 1u]);
    let ra = a * c - b * s;
    let rb = b * c + a * s;
    q[at] = ra.x; q[at + 1u] = ra.y; q[at + half] = rb.x; q[at + half + 1u] = rb.y;
    return;
  }
  let kvDim = p.nKvHeads * p.headDim;
  let col = (h - p.nHeads) * p.headDim + i;
  let at = step.pos * p.kOffsetPerPos + t * kvDim + col;
  let a = vec2<f32>(k[at], k[at + 1u]);
  let b = vec2<f32>(k[at + half], k[at + half + 1u]);
  let ra = a * c - b * s;
  let rb = b * c + a * s;
#if KV_F16
  let row = (step.pos + t) * (kvDim / 2u);
  kCache[row + col / 2u] = pack2x16float(ra);
  kCache[row + (col + half) / 2u] = pack2x16float(rb);
  let vAt = t * kvDim + col;
  vCache[row + col / 2u] = pack2x16float(vec2<f32>(v[vAt], v[vAt + 1u]));
  vCache[row + (col + half) / 2u] = pack2x16float(vec2<f32>(v[vAt + half], v[vAt + half + 1u]));
#else
  k[at] = ra.x; k[at + 1u] = ra.y; k[at + half] = rb.x; k[at + half + 1u] = rb.y;
#endif
}
