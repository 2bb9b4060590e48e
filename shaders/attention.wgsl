// Causal grouped-query attention over the KV cache, one workgroup per (query head, query token).
// Query t sits at position step.pos + t and sees keys 0 ..= step.pos + t. Keys are visited in tiles of
// WG with an online softmax (running max m and sum l rescaled per tile), so any context length fits
// in fixed workgroup memory. Query head h reads kv head h / (nHeads / nKvHeads). KV_F16: the cache
// holds halves, two per u32. SUBGROUPS: the softmax's workgroup max and sum are taken per subgroup in
// registers, then across the WG / subgroup_size subgroups: 2 barriers each instead of 2 + log2(WG).

#if SUBGROUPS
enable subgroups;
#endif

struct Params {
  T: u32,
  nHeads: u32,
  nKvHeads: u32,
  headDim: u32,
  scale: f32,          // 1 / sqrt(headDim)
};

struct Step {
  pos: u32,
  seed: u32,
  draw: u32,
  pad: u32,
};

@group(0) @binding(0) var<storage, read> q: array<f32>;          // [T, nHeads * headDim]
#if KV_F16
// Half-precision cache: two values per u32 (kv-cache.wgsl writes it).
@group(0) @binding(1) var<storage, read> kCache: array<u32>;     // [maxSeq, nKvHeads * headDim / 2]
@group(0) @binding(2) var<storage, read> vCache: array<u32>;     // [maxSeq, nKvHeads * headDim / 2]
// Elements i, i + 1 (i even: head dims come in pairs, one u32 of halves).
fn k_pair(i: u32) -> vec2<f32> { return unpack2x16float(kCache[i >> 1u]); }
fn v_pair(i: u32) -> vec2<f32> { return unpack2x16float(vCache[i >> 1u]); }
#else
@group(0) @binding(1) var<storage, read> kCache: array<f32>;     // [maxSeq, nKvHeads * headDim]
@group(0) @binding(2) var<storage, read> vCache: array<f32>;     // [maxSeq, nKvHeads * headDim]
fn k_pair(i: u32) -> vec2<f32> { return vec2<f32>(kCache[i], kCache[i + 1u]); }
fn v_pair(i: u32) -> vec2<f32> { return vec2<f32>(vCache[i], vCache[i + 1u]); }
#endif
@group(0) @binding(3) var<storage, read_write> out: array<f32>;  // [T, nHeads * headDim]
@group(0) @binding(4) var<uniform> p: Params;
@group(0) @binding(5) var<uniform> step: Step;

const MAX_HEAD_DIM: u32 = 256u;
// Each thread keeps output dims in adjacent pairs: pair e is dims 2 (lid + e WG) and the one after.
const PAIRS_PER_THREAD: u32 = MAX_HEAD_DIM / (2u * WG);
const NEG_BIG: f32 = -3.0e38;

var<workgroup> qs: array<f32, MAX_HEAD_DIM>;
var<workgroup> probs: array<f32, WG>;
var<workgroup> red: array<f32, WG>;

#if SUBGROUPS
// Subgroup lanes follow local_invocation_index (src/gpu/subgroups.ts checks it), so subgroup i holds
// threads [i * size, (i + 1) * size); its first lane leaves the subgroup's result in red[i].
var<private> sgSize: u32;

fn reduce_max(lid: u32, v: f32) -> f32 {
  let m = subgroupMax(v);
  if (lid % sgSize == 0u) { red[lid / sgSize] = m; }
  workgroupBarrier();
  var r = red[0];
  for (var i = 1u; i < WG / sgSize; i++) { r = max(r, red[i]); }
  workgroupBarrier();
  return r;
}

fn reduce_sum(lid: u32, v: f32) -> f32 {
  let t = subgroupAdd(v);
  if (lid % sgSize == 0u) { red[lid / sgSize] = t; }
  workgroupBarrier();
  var r = red[0];
  for (var i = 1u; i < WG / sgSize; i++) { r += red[i]; }
  workgroupBarrier();
  return r;
}
#else
fn reduce_max(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn reduce_sum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
#endif

/** Softmax state of one query over a range of keys: running max, sum, and this thread's output dims. */
struct Partial {
  m: f32,
  l: f32,
  acc: array<vec2<f32>, PAIRS_PER_THREAD>,
};

// Query (h, t) against keys [kBegin, kEnd), a tile of WG keys at a time. Called in uniform control
// flow: it holds the workgroup's barriers.
fn attend(h: u32, t: u32, lid: u32, kBegin: u32, kEnd: u32) -> Partial {
  let D = p.headDim;
  let kvStride = p.nKvHeads * D;
  let kvBase = (h / (p.nHeads / p.nKvHeads)) * D;
  let qBase = (t * p.nHeads + h) * D;
  for (var d = lid; d < D; d += WG) { qs[d] = q[qBase + d]; }
  workgroupBarrier();
  var r: Partial;
  r.m = NEG_BIG;
  r.l = 0.0;
  for (var k0 = kBegin; k0 < kEnd; k0 += WG) {
    let j = k0 + lid;
    var s = NEG_BIG;
    if (j < kEnd) {
      let kb = j * kvStride + kvBase;
      var dotv = 0.0;
      for (var d = 0u; d < D; d += 2u) { dotv += dot(vec2<f32>(qs[d], qs[d + 1u]), k_pair(kb + d)); }
      s = dotv * p.scale;
    }
    let mNew = max(r.m, reduce_max(lid, s));
    let pj = select(0.0, exp(s - mNew), j < kEnd);
    probs[lid] = pj;
    let corr = exp(r.m - mNew);
    r.l = r.l * corr + reduce_sum(lid, pj);  // reduce_sum's barriers also publish probs
    let n = min(WG, kEnd - k0);
    for (var e = 0u; e < PAIRS_PER_THREAD; e++) {
      let d = 2u * (lid + e * WG);
      if (d < D) {
        var a = r.acc[e] * corr;
        for (var jj = 0u; jj < n; jj++) { a += probs[jj] * v_pair((k0 + jj) * kvStride + kvBase + d); }
        r.acc[e] = a;
      }
    }
    r.m = mNew;
    workgroupBarrier();
  }
  return r;
}

// The workgroup-uniform builtins of the entry points that attend: a struct, so the SUBGROUPS one is
// declared once.
struct Group {
  @builtin(workgroup_id) wid: vec3<u32>,
#if SUBGROUPS
  @builtin(subgroup_size) sgSize: u32,
#endif
};

// Keeps what the reductions need of `g` and returns the workgroup id.
fn begin(g: Group) -> vec3<u32> {
#if SUBGROUPS
  sgSize = g.sgSize;
#endif
  return g.wid;
}

// One workgroup per (query head, query token), over all its keys.
@compute @workgroup_size(WG)
fn attention(g: Group, @builtin(local_invocation_index) lid: u32) {
  let wid = begin(g);
  let h = wid.x;
  let t = wid.y;
  let r = attend(h, t, lid, 0u, step.pos + t + 1u);
  let qBase = (t * p.nHeads + h) * p.headDim;
  for (var e = 0u; e < PAIRS_PER_THREAD; e++) {
    let d = 2u * (lid + e * WG);
    if (d < p.headDim) {
      out[qBase + d] = r.acc[e].x / r.l;
      out[qBase + d + 1u] = r.acc[e].y / r.l;
    }
  }
}

#if SPLIT
// Flash-decoding: with few queries (decode) one workgroup per head leaves most of a GPU idle on long
// contexts, so SPLITS workgroups per query each take a slice of the keys and leave their softmax
// state in `parts`; attention_combine merges the slices.
@group(0) @binding(6) var<storage, read_write> parts: array<f32>;  // [T, nHeads, SPLITS, 2 + headDim]

fn part_base(t: u32, h: u32, s: u32) -> u32 {
  return ((t * p.nHeads + h) * SPLITS + s) * (2u + p.headDim);
}

@compute @workgroup_size(WG)
fn attention_split(g: Group, @builtin(local_invocation_index) lid: u32) {
  let wid = begin(g);
  let h = wid.x;
  let t = wid.y;
  let s = wid.z;
  let nKeys = step.pos + t + 1u;
  // Slices of whole tiles; the last ones may be empty (m stays NEG_BIG, l 0: they weigh nothing).
  let slice = ((nKeys + SPLITS * WG - 1u) / (SPLITS * WG)) * WG;
  let kBegin = min(nKeys, s * slice);
  let r = attend(h, t, lid, kBegin, min(nKeys, kBegin + slice));
  let b = part_base(t, h, s);
  if (lid == 0u) {
    parts[b] = r.m;
    parts[b + 1u] = r.l;
  }
  for (var e = 0u; e < PAIRS_PER_THREAD; e++) {
    let d = 2u * (lid + e * WG);
    if (d < p.headDim) {
      parts[b + 2u + d] = r.acc[e].x;
      parts[b + 3u + d] = r.acc[e].y;
    }
  }
}

@compute @workgroup_size(WG)
fn attention_combine(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let h = wid.x;
  let t = wid.y;
  var m = NEG_BIG;
  for (var s = 0u; s < SPLITS; s++) { m = max(m, parts[part_base(t, h, s)]); }
  var l = 0.0;
  for (var s = 0u; s < SPLITS; s++) {
    let b = part_base(t, h, s);
    l += parts[b + 1u] * exp(parts[b] - m);
  }
  let qBase = (t * p.nHeads + h) * p.headDim;
  for (var d = lid; d < p.headDim; d += WG) {
    var a = 0.0;
    for (var s = 0u; s < SPLITS; s++) {
      let b = part_base(t, h, s);
      a += parts[b + 2u + d] * exp(parts[b] - m);
    }
    out[qBase + d] = a / l;
  }
}
#endif
