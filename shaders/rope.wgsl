// Rotary position embedding, half-split ("NeoX") pairing as Hugging Face Qwen2/Qwen3/Llama do:
//   x'[i]       = x[i] cos(p f_i) - x[i + D/2] sin(p f_i)
//   x'[i + D/2] = x[i + D/2] cos(p f_i) + x[i] sin(p f_i)
// cos/sin come from a table computed on the CPU in float64 (llama3 / YaRN frequencies and attention
// scaling applied): WGSL's own cos/sin are only accurate to 2^-11.
// One dispatch rotates the queries and the keys of T tokens (token t sits at position step.pos + t)
// and, with KV_F16, also appends the rotated keys and the values to the half-precision KV cache, two
// halves packed per u32 (pack2x16float needs no shader-f16): one launch where four were.
// Each thread takes dimensions i, i + 1 (i even, first half) of one head and their partners at D/2.
// QK_NORM (Qwen3): each head of q and k is RMS-normalized (its own gain) before the rotation; a
// head's D/4 threads are consecutive in one workgroup and add their sums of squares there.

struct Params {
  T: u32,
  nHeads: u32,        // query heads
  nKvHeads: u32,      // key (and value) heads
  headDim: u32,
  kOffsetPerPos: u32, // elements per cache position before k[0]: an f32 cache holds k at row step.pos
  eps: f32,           // QK_NORM: the RMSNorm epsilon
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

#if QK_NORM
@group(0) @binding(8) var<storage, read> qGain: array<f32>;         // [headDim]
@group(0) @binding(9) var<storage, read> kGain: array<f32>;         // [headDim]
var<workgroup> sums: array<f32, 64>;

// The sum of v over the `pairs` consecutive threads of each head (pairs divides 64).
fn head_sum(lid: u32, pairs: u32, v: f32) -> f32 {
  sums[lid] = v;
  workgroupBarrier();
  for (var s = pairs / 2u; s > 0u; s >>= 1u) {
    if (lid % pairs < s) { sums[lid] += sums[lid + s]; }
    workgroupBarrier();
  }
  let r = sums[lid - lid % pairs];
  workgroupBarrier();
  return r;
}
#endif

@compute @workgroup_size(64)
fn rope(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let half = p.headDim / 2u;
  let pairs = p.headDim / 4u;
  let heads = p.nHeads + p.nKvHeads;
  let total = p.T * heads * pairs;
  let id = gid.x + gid.y * nwg.x * 64u;
  // Threads past the end work on the last pair and write nothing: barriers need all of them.
  let inRange = id < total;
  let e = min(id, total - 1u);
  let i = (e % pairs) * 2u;
  let h = (e / pairs) % heads;
  let t = e / (pairs * heads);
  let cs0 = cosSin[(step.pos + t) * half + i];
  let cs1 = cosSin[(step.pos + t) * half + i + 1u];
  let c = vec2<f32>(cs0.x, cs1.x);
  let s = vec2<f32>(cs0.y, cs1.y);
  let isQ = h < p.nHeads;
  let kvDim = p.nKvHeads * p.headDim;
  let col = (h - p.nHeads) * p.headDim + i;
  let qAt = (t * p.nHeads + h) * p.headDim + i;
  let kAt = step.pos * p.kOffsetPerPos + t * kvDim + col;
  var a: vec2<f32>;
  var b: vec2<f32>;
  if (isQ) {
    a = vec2<f32>(q[qAt], q[qAt + 1u]);
    b = vec2<f32>(q[qAt + half], q[qAt + half + 1u]);
  } else {
    a = vec2<f32>(k[kAt], k[kAt + 1u]);
    b = vec2<f32>(k[kAt + half], k[kAt + half + 1u]);
  }
#if QK_NORM
  let inv = inverseSqrt(head_sum(lid, pairs, dot(a, a) + dot(b, b)) / f32(p.headDim) + p.eps);
  if (isQ) {
    a = a * inv * vec2<f32>(qGain[i], qGain[i + 1u]);
    b = b * inv * vec2<f32>(qGain[i + half], qGain[i + half + 1u]);
  } else {
    a = a * inv * vec2<f32>(kGain[i], kGain[i + 1u]);
    b = b * inv * vec2<f32>(kGain[i + half], kGain[i + half + 1u]);
  }
#endif
  let ra = a * c - b * s;
  let rb = b * c + a * s;
  if (!inRange) { return; }
  if (isQ) {
    q[qAt] = ra.x; q[qAt + 1u] = ra.y; q[qAt + half] = rb.x; q[qAt + half + 1u] = rb.y;
    return;
  }
#if KV_F16
  let row = (step.pos + t) * (kvDim / 2u);
  kCache[row + col / 2u] = pack2x16float(ra);
  kCache[row + (col + half) / 2u] = pack2x16float(rb);
  let vAt = t * kvDim + col;
  vCache[row + col / 2u] = pack2x16float(vec2<f32>(v[vAt], v[vAt + 1u]));
  vCache[row + (col + half) / 2u] = pack2x16float(vec2<f32>(v[vAt + half], v[vAt + half + 1u]));
#else
  k[kAt] = ra.x; k[kAt + 1u] = ra.y; k[kAt + half] = rb.x; k[kAt + half + 1u] = rb.y;
#endif
}
