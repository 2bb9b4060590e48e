// Picks the next token on the GPU so that only 4 bytes are read back per step.
// Greedy: `chunk_max`, then `argmax`. Sampling, in Hugging Face's order (repetition penalty,
// temperature, top-k, top-p, then one draw): `chunk_max`, `chunk_weights`, then `sample`.
// The vocabulary (~150k ids) is cut into chunks of CHUNK ids, one workgroup each, so that the passes
// over all of it run on the whole GPU: one workgroup reading 150k values runs latency-bound on one
// core, tens of microseconds a pass on a big GPU. Only the last stage runs in one workgroup.
//   chunk_max      each chunk's largest (penalized) logit and its lowest id.
//   argmax         the largest of those: the greedy pick.
//   chunk_weights  weights e_i = exp((l_i - max) / temperature) in (0, 1], in place of the logits; the
//                  chunk's mass, and its ids weighing >= eps (see `sample`) compacted in id order into
//                  the chunk's slots of `cands`.
//   sample         Top-k/top-p keep {i : e_i >= tau}; tau is found by bisection (no sort of the
//                  vocabulary): tau_k is the largest threshold keeping >= topK tokens, tau_p the
//                  largest >= tau_k keeping >= topP of the top-k mass. Where the candidates are few
//                  (the usual, peaked case) they are copied into workgroup memory and the 40-80
//                  bisection passes and the draw read only them; otherwise they read the whole
//                  vocabulary. The draw u comes from a counter-based hash of (seed, draw), mirrored in
//                  src/engine/sampler-ref.ts. SUBGROUPS: the pass sums are taken per subgroup in
//                  registers first (3 barriers instead of 2 + log2(WG)).

#if SUBGROUPS
enable subgroups;
#endif

struct Params {
  vocab: u32,
  temperature: f32,
  topK: u32,           // 0 = off
  topP: f32,           // 1 = off
  penalty: f32,        // 1 = off
  pad: u32,
};

struct Step {
  pos: u32,
  seed: u32,
  draw: u32,
  pad: u32,
};

// One chunk's summary, written by the chunk stages for the last one.
struct Chunk {
  max: f32,      // chunk_max: the largest logit (penalized when sampling)
  id: u32,       //            its lowest id
  mass: f32,     // chunk_weights: the sum of the chunk's weights
  nEps: u32,     //                how many of them are >= eps
  massEps: f32,  //                and their sum
};

@group(0) @binding(0) var<storage, read_write> logits: array<f32>;   // [vocab]
@group(0) @binding(1) var<storage, read_write> result: array<u32>;   // [1] chosen id
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(5) var<storage, read_write> chunks: array<Chunk>; // [ceil(vocab / CHUNK)]
#if SAMPLE
@group(0) @binding(3) var<uniform> step: Step;
@group(0) @binding(4) var<storage, read> penalized: array<u32>;      // [ceil(vocab / 32)] bit i: id i is in the context
@group(0) @binding(6) var<storage, read_write> cands: array<vec2<u32>>; // [chunks * CHUNK] (weight bits, id), chunk c's from c * CHUNK
#endif

const NEG_BIG: f32 = -3.0e38;
// Each thread of a chunk stage takes PER_THREAD consecutive ids, so a chunk's ids are in thread order.
const CHUNK: u32 = WG * PER_THREAD;
// The last stage holds one value per chunk in workgroup memory: vocabularies up to 512 chunks.
const MAX_CHUNKS: u32 = 512u;
var<workgroup> redF: array<f32, WG>;
var<workgroup> redU: array<u32, WG>;
var<workgroup> red2: array<vec2<f32>, WG>;

fn n_chunks() -> u32 {
  return (p.vocab + CHUNK - 1u) / CHUNK;
}

// The logit of id i, shrunk by the repetition penalty (CTRL paper, as transformers) if i is in the context.
fn logit(i: u32) -> f32 {
  let l = logits[i];
#if SAMPLE
  if (p.penalty != 1.0 && ((penalized[i >> 5u] >> (i & 31u)) & 1u) == 1u) {
    return select(l * p.penalty, l / p.penalty, l > 0.0);
  }
#endif
  return l;
}

// The workgroup's largest value and its lowest id, left in redF[0] / redU[0]; ties go to the lower
// id, as a sequential scan would.
fn max_with_id(lid: u32, best: f32, bestId: u32) {
  redF[lid] = best;
  redU[lid] = bestId;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let o = redF[lid + s];
      if (o > redF[lid] || (o == redF[lid] && redU[lid + s] < redU[lid])) {
        redF[lid] = o;
        redU[lid] = redU[lid + s];
      }
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(WG)
fn chunk_max(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i0 = wid.x * CHUNK + lid * PER_THREAD;
  var best = NEG_BIG;
  var bestId = i0;
  for (var i = i0; i < min(i0 + PER_THREAD, p.vocab); i++) {
    let v = logit(i);
    if (v > best) { best = v; bestId = i; }
  }
  max_with_id(lid, best, bestId);
  if (lid == 0u) {
    chunks[wid.x].max = redF[0];
    chunks[wid.x].id = redU[0];
  }
}

@compute @workgroup_size(WG)
fn argmax(@builtin(local_invocation_index) lid: u32) {
  var best = NEG_BIG;
  var bestId = 0u;
  for (var c = lid; c < n_chunks(); c += WG) {
    let v = chunks[c].max;
    if (v > best) { best = v; bestId = chunks[c].id; }
  }
  max_with_id(lid, best, bestId);
  if (lid == 0u) { result[0] = redU[0]; }
}

#if SAMPLE
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

#if SUBGROUPS
// Subgroup lanes follow local_invocation_index (src/gpu/subgroups.ts checks it): subgroup i is
// threads [i * sgSize, (i + 1) * sgSize), and its first lane leaves the subgroup's result at i.
var<private> sgSize: u32;
var<workgroup> total2: vec2<f32>;
var<workgroup> totalF: f32;

fn sum2_all(lid: u32, v: vec2<f32>) -> vec2<f32> {
  let s = subgroupAdd(v);
  if (lid % sgSize == 0u) { red2[lid / sgSize] = s; }
  workgroupBarrier();
  if (lid == 0u) {
    var t = red2[0];
    for (var i = 1u; i < WG / sgSize; i++) { t += red2[i]; }
    total2 = t;
  }
  // A uniform value: whether to gather depends on it, and gathering holds barriers.
  return workgroupUniformLoad(&total2);
}

fn max_all(lid: u32, v: f32) -> f32 {
  let s = subgroupMax(v);
  if (lid % sgSize == 0u) { redF[lid / sgSize] = s; }
  workgroupBarrier();
  if (lid == 0u) {
    var t = redF[0];
    for (var i = 1u; i < WG / sgSize; i++) { t = max(t, redF[i]); }
    totalF = t;
  }
  return workgroupUniformLoad(&totalF);
}
#else
fn sum2_all(lid: u32, v: vec2<f32>) -> vec2<f32> {
  red2[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red2[lid] += red2[lid + s]; }
    workgroupBarrier();
  }
  // A uniform value: whether to gather depends on it, and gathering holds barriers.
  let r = workgroupUniformLoad(&red2[0]);
  workgroupBarrier();
  return r;
}

fn max_all(lid: u32, v: f32) -> f32 {
  redF[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { redF[lid] = max(redF[lid], redF[lid + s]); }
    workgroupBarrier();
  }
  let r = redF[0];
  workgroupBarrier();
  return r;
}
#endif

// The candidates when they are few: the bisection passes and the draw then read CAP values at most
// instead of the whole vocabulary.
const CAP: u32 = 1024u;
var<workgroup> cand: array<f32, CAP>;
var<workgroup> candId: array<u32, CAP>;
var<workgroup> offs: array<u32, MAX_CHUNKS + 1u>;

// With top-p, no weight below eps = (1 - topP) / vocab can be kept: all of them together weigh
// less than (1 - topP), and the kept mass is topP of at least 1 (the top token's weight).
fn eps_of() -> f32 {
  return select(0.0, (1.0 - p.topP) / f32(p.vocab), p.topP < 1.0);
}

@compute @workgroup_size(WG)
fn chunk_weights(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
#if SUBGROUPS
                 @builtin(subgroup_size) size: u32,
#endif
) {
#if SUBGROUPS
  sgSize = size;
#endif
  // Every workgroup reduces the chunks' maxima itself: a few hundred values.
  var m = NEG_BIG;
  for (var c = lid; c < n_chunks(); c += WG) { m = max(m, chunks[c].max); }
  let mx = max_all(lid, m);
  let eps = eps_of();
  let i0 = wid.x * CHUNK + lid * PER_THREAD;
  var mass = 0.0;
  var massEps = 0.0;
  var cnt = 0u;
  for (var i = i0; i < min(i0 + PER_THREAD, p.vocab); i++) {
    // Computed once, in place: each bisection pass of `sample` only compares.
    let e = exp((logit(i) - mx) / p.temperature);
    logits[i] = e;
    mass += e;
    if (e >= eps) {
      cnt++;
      massEps += e;
    }
  }
  let sums = sum2_all(lid, vec2<f32>(mass, massEps));
  let total = u32(sum2_all(lid, vec2<f32>(f32(cnt), 0.0)).x);
  // A chunk with more than CAP candidates means more than CAP in all: `sample` will not gather.
  if (eps > 0.0 && total > 0u && total <= CAP) {
    redU[lid] = cnt;
    workgroupBarrier();
    if (lid == 0u) {
      var run = 0u;
      for (var t = 0u; t < WG; t++) {
        let k = redU[t];
        redU[t] = run;
        run += k;
      }
    }
    workgroupBarrier();
    var at = wid.x * CHUNK + redU[lid];
    for (var i = i0; i < min(i0 + PER_THREAD, p.vocab); i++) {
      let e = logits[i];
      if (e >= eps) {
        cands[at] = vec2<u32>(bitcast<u32>(e), i);
        at++;
      }
    }
  }
  if (lid == 0u) {
    chunks[wid.x].mass = sums.x;
    chunks[wid.x].nEps = total;
    chunks[wid.x].massEps = sums.y;
  }
}

/** Count (as f32) and mass of weights >= tau: of the gathered n, or of the whole vocabulary (n = 0). */
fn kept(lid: u32, tau: f32, n: u32) -> vec2<f32> {
  var r = vec2<f32>(0.0);
  if (n == 0u) {
    for (var i = lid; i < p.vocab; i += WG) {
      let e = logits[i];
      if (e >= tau) { r += vec2<f32>(1.0, e); }
    }
  } else {
    for (var j = lid; j < n; j += WG) {
      let e = cand[j];
      if (e >= tau) { r += vec2<f32>(1.0, e); }
    }
  }
  return sum2_all(lid, r);
}

/** Copies the n candidates of all chunks into cand / candId, in id order. */
fn gather(lid: u32, n: u32) {
  let nc = n_chunks();
  for (var c = lid; c < nc; c += WG) { offs[c + 1u] = chunks[c].nEps; }
  workgroupBarrier();
  if (lid == 0u) {
    offs[0] = 0u;
    for (var c = 1u; c <= nc; c++) { offs[c] += offs[c - 1u]; }
  }
  workgroupBarrier();
  for (var j = lid; j < n; j += WG) {
    // The chunk holding candidate j: the last c with offs[c] <= j.
    var lo = 0u;
    var hi = nc;
    while (hi - lo > 1u) {
      let mid = (lo + hi) / 2u;
      if (offs[mid] <= j) { lo = mid; } else { hi = mid; }
    }
    let v = cands[lo * CHUNK + j - offs[lo]];
    cand[j] = bitcast<f32>(v.x);
    candId[j] = v.y;
  }
  workgroupBarrier();
}

// Weight j of what the draw walks: the gathered candidates, or the whole vocabulary.
fn draw_weight(j: u32, fits: bool) -> f32 {
  if (fits) { return cand[j]; }
  return logits[j];
}

@compute @workgroup_size(WG)
fn sample(@builtin(local_invocation_index) lid: u32,
#if SUBGROUPS
          @builtin(subgroup_size) size: u32,
#endif
) {
#if SUBGROUPS
  sgSize = size;
#endif
  var m = vec2<f32>(0.0);
  var k = 0.0;
  for (var c = lid; c < n_chunks(); c += WG) {
    m += vec2<f32>(chunks[c].mass, chunks[c].massEps);
    k += f32(chunks[c].nEps);
  }
  let masses = sum2_all(lid, m);
  let counts = sum2_all(lid, vec2<f32>(k, 0.0));
  let all = vec2<f32>(f32(p.vocab), masses.x);
  // With a top-k as well, the top k must lie above eps. When the weights above eps are few, gather them.
  let topKOn = p.topK > 0u && p.topK < p.vocab;
  let eps = eps_of();
  var atEps = all;
  if (eps > 0.0) { atEps = vec2<f32>(counts.x, masses.y); }
  let fits = eps > 0.0 && atEps.x <= f32(CAP) && (!topKOn || atEps.x >= f32(p.topK));
  let n = select(0u, u32(atEps.x), fits);
  if (fits) { gather(lid, n); }

  // tau_k: invariant count(lo) >= topK, count(hi) < topK. Weights lie in (0, 1].
  var lo = 0.0;
  var hi = 1.5;
  var atLo = all;
  if (topKOn) {
    if (fits) {
      lo = eps;
      atLo = atEps;
    }
    for (var it = 0u; it < 40u; it++) {
      let mid = 0.5 * (lo + hi);
      let r = kept(lid, mid, n);
      if (r.x >= f32(p.topK)) { lo = mid; atLo = r; } else { hi = mid; }
    }
  }
  let massK = atLo.y;
  // tau_p >= tau_k: invariant mass(lo) >= topP * massK.
  if (p.topP < 1.0) {
    lo = max(lo, select(0.0, eps, fits));
    hi = 1.5;
    for (var it = 0u; it < 40u; it++) {
      let mid = 0.5 * (lo + hi);
      if (kept(lid, mid, n).y >= p.topP * massK) { lo = mid; } else { hi = mid; }
    }
  }
  let tau = lo;

  // Draw over the candidates (or the vocabulary) in id order: each thread owns a contiguous run of
  // them; thread 0 walks the runs' sums, then the run.
  let len = select(p.vocab, n, fits);
  let run = (len + WG - 1u) / WG;
  let r0 = lid * run;
  var mine = 0.0;
  for (var j = r0; j < min(r0 + run, len); j++) {
    let e = draw_weight(j, fits);
    if (e >= tau) { mine += e; }
  }
  redF[lid] = mine;
  workgroupBarrier();
  if (lid == 0u) {
    var total = 0.0;
    for (var t = 0u; t < WG; t++) { total += redF[t]; }
    let u = f32(pcg(step.seed ^ pcg(step.draw)) >> 8u) / 16777216.0;
    var want = u * total;
    var t = 0u;
    var lastNonEmpty = 0u;
    for (; t < WG; t++) {
      if (redF[t] <= 0.0) { continue; }
      lastNonEmpty = t;
      if (want < redF[t]) { break; }
      want -= redF[t];
    }
    // Rounding can push want past the total: fall back to the last kept token.
    t = min(t, lastNonEmpty);
    var chosen = 0xffffffffu;
    var last = 0u;
    for (var j = t * run; j < min((t + 1u) * run, len); j++) {
      let e = draw_weight(j, fits);
      if (e < tau) { continue; }
      last = j;
      if (want < e) { chosen = j; break; }
      want -= e;
    }
    let pick = select(chosen, last, chosen == 0xffffffffu);
    result[0] = select(pick, candId[min(pick, CAP - 1u)], fits);
  }
}
#endif
