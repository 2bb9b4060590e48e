// Picks the next token on the GPU so that only 4 bytes are read back per step.
// `argmax`: greedy. `sample`: Hugging Face order — repetition penalty, temperature, top-k, top-p,
// then one draw. Top-k/top-p keep {i : e_i >= tau} with e_i = exp((l_i - max) / temperature); tau is
// found by bisection (no sort of the vocabulary): tau_k is the largest threshold keeping >= topK tokens,
// tau_p the largest >= tau_k keeping >= topP of the top-k mass. The draw u comes from a counter-based
// hash of (seed, draw), mirrored in src/engine/sampler-ref.ts.
// One workgroup does it all: the vocabulary is ~150k values, a few hundred per thread per pass. The
// weights are computed once, in place of the logits, so the bisection passes only compare and add;
// with top-p, and few tokens above the weight no kept token can be below, those are gathered into
// workgroup memory and the 40-80 bisection passes read only them. SUBGROUPS: each pass's workgroup
// sum is taken per subgroup in registers first (3 barriers instead of 2 + log2(WG)).

#if SUBGROUPS
enable subgroups;
#endif

struct Params {
  vocab: u32,
  temperature: f32,
  topK: u32,           // 0 = off
  topP: f32,           // 1 = off
  penalty: f32,        // 1 = off
  nPenalized: u32,
};

struct Step {
  pos: u32,
  seed: u32,
  draw: u32,
  pad: u32,
};

@group(0) @binding(0) var<storage, read_write> logits: array<f32>;   // [vocab]
@group(0) @binding(1) var<storage, read_write> result: array<u32>;   // [1] chosen id
@group(0) @binding(2) var<uniform> p: Params;
#if SAMPLE
@group(0) @binding(3) var<uniform> step: Step;
@group(0) @binding(4) var<storage, read> penalized: array<u32>;      // [nPenalized] distinct ids
#endif

const NEG_BIG: f32 = -3.0e38;
var<workgroup> redF: array<f32, WG>;
var<workgroup> redU: array<u32, WG>;
var<workgroup> red2: array<vec2<f32>, WG>;

@compute @workgroup_size(WG)
fn argmax(@builtin(local_invocation_index) lid: u32) {
  var best = NEG_BIG;
  var bestId = 0u;
  for (var i = lid; i < p.vocab; i += WG) {
    let v = logits[i];
    if (v > best) { best = v; bestId = i; }
  }
  redF[lid] = best;
  redU[lid] = bestId;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let o = redF[lid + s];
      // Ties go to the lower id, as a sequential scan would.
      if (o > redF[lid] || (o == redF[lid] && redU[lid + s] < redU[lid])) {
        redF[lid] = o;
        redU[lid] = redU[lid + s];
      }
    }
    workgroupBarrier();
  }
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

// The weights that can still be kept, gathered into workgroup memory when they are few: the
// bisection passes then read CAP values at most instead of the whole vocabulary.
const CAP: u32 = 1024u;
var<workgroup> cand: array<f32, CAP>;

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

/** Gathers the weights >= eps into `cand` (the caller knows they fit), in a fixed order. */
fn gather(lid: u32, eps: f32) {
  var c = 0u;
  for (var i = lid; i < p.vocab; i += WG) {
    if (logits[i] >= eps) { c++; }
  }
  redU[lid] = c;
  workgroupBarrier();
  if (lid == 0u) {
    var run = 0u;
    for (var t = 0u; t < WG; t++) {
      let n = redU[t];
      redU[t] = run;
      run += n;
    }
  }
  workgroupBarrier();
  var at = redU[lid];
  for (var i = lid; i < p.vocab; i += WG) {
    let e = logits[i];
    if (e >= eps) {
      cand[at] = e;
      at++;
    }
  }
  workgroupBarrier();
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
  // Repetition penalty (CTRL paper, as transformers): shrink the logits of tokens already seen.
  for (var j = lid; j < p.nPenalized; j += WG) {
    let id = penalized[j];
    if (id < p.vocab) {
      let l = logits[id];
      logits[id] = select(l * p.penalty, l / p.penalty, l > 0.0);
    }
  }
  storageBarrier();
  workgroupBarrier();

  var mx = NEG_BIG;
  for (var i = lid; i < p.vocab; i += WG) { mx = max(mx, logits[i]); }
  mx = max_all(lid, mx);
  // Weights in (0, 1], computed once in place: each bisection pass below only compares.
  for (var i = lid; i < p.vocab; i += WG) { logits[i] = exp((logits[i] - mx) / p.temperature); }
  storageBarrier();
  workgroupBarrier();

  // With top-p, no weight below eps = (1 - topP) / vocab can be kept: all of them together weigh
  // less than (1 - topP), and the kept mass is topP of at least 1 (the top token's weight). With a
  // top-k as well, the top k must lie above eps. When the weights above eps are few, gather them.
  let all = kept(lid, 0.0, 0u);
  let topKOn = p.topK > 0u && p.topK < p.vocab;
  let eps = select(0.0, (1.0 - p.topP) / f32(p.vocab), p.topP < 1.0);
  var atEps = all;
  if (eps > 0.0) { atEps = kept(lid, eps, 0u); }
  let fits = eps > 0.0 && atEps.x <= f32(CAP) && (!topKOn || atEps.x >= f32(p.topK));
  let n = select(0u, u32(atEps.x), fits);
  if (fits) { gather(lid, eps); }

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

  // Draw: each thread owns a contiguous chunk of ids; thread 0 walks the chunk sums, then the chunk.
  let chunk = (p.vocab + WG - 1u) / WG;
  let c0 = lid * chunk;
  let c1 = min(c0 + chunk, p.vocab);
  var m = 0.0;
  for (var i = c0; i < c1; i++) {
    let e = logits[i];
    if (e >= tau) { m += e; }
  }
  redF[lid] = m;
  workgroupBarrier();
  if (lid == 0u) {
    var total = 0.0;
    for (var c = 0u; c < WG; c++) { total += redF[c]; }
    let u = f32(pcg(step.seed ^ pcg(step.draw)) >> 8u) / 16777216.0;
    var want = u * total;
    var c = 0u;
    var lastNonEmpty = 0u;
    for (; c < WG; c++) {
      if (redF[c] <= 0.0) { continue; }
      lastNonEmpty = c;
      if (want < redF[c]) { break; }
      want -= redF[c];
    }
    // Rounding can push want past the total: fall back to the last kept token.
    c = min(c, lastNonEmpty);
    var chosen = 0xffffffffu;
    var last = 0u;
    for (var i = c * chunk; i < min((c + 1u) * chunk, p.vocab); i++) {
      let e = logits[i];
      if (e < tau) { continue; }
      last = i;
      if (want < e) { chosen = i; break; }
      want -= e;
    }
    result[0] = select(chosen, last, chosen == 0xffffffffu);
  }
}
#endif
