// Picks the next token on the GPU so that only 4 bytes are read back per step.
// `argmax`: greedy. `sample`: Hugging Face order — repetition penalty, temperature, top-k, top-p,
// then one draw. Top-k/top-p keep {i : e_i >= tau} with e_i = exp((l_i - max) / temperature); tau is
// found by bisection (no sort of the vocabulary): tau_k is the largest threshold keeping >= topK tokens,
// tau_p the largest >= tau_k keeping >= topP of the top-k mass. The draw u comes from a counter-based
// hash of (seed, draw), mirrored in src/engine/sampler-ref.ts.
// One workgroup does it all: the vocabulary is ~150k values, a few hundred per thread per pass. The
// weights are computed once, in place of the logits, so the bisection passes only compare and add.

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

fn sum2_all(lid: u32, v: vec2<f32>) -> vec2<f32> {
  red2[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red2[lid] += red2[lid + s]; }
    workgroupBarrier();
  }
  let r = red2[0];
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

/** Count (as f32) and mass of tokens with weight >= tau: `logits` holds the weights by then. */
fn kept(lid: u32, tau: f32) -> vec2<f32> {
  var r = vec2<f32>(0.0);
  for (var i = lid; i < p.vocab; i += WG) {
    let e = logits[i];
    if (e >= tau) { r += vec2<f32>(1.0, e); }
  }
  return sum2_all(lid, r);
}

@compute @workgroup_size(WG)
fn sample(@builtin(local_invocation_index) lid: u32) {
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

  // tau_k: invariant count(lo) >= topK, count(hi) < topK. Weights lie in (0, 1].
  var lo = 0.0;
  var hi = 1.5;
  var atLo = kept(lid, 0.0);
  if (p.topK > 0u && p.topK < p.vocab) {
    for (var it = 0u; it < 40u; it++) {
      let mid = 0.5 * (lo + hi);
      let r = kept(lid, mid);
      if (r.x >= f32(p.topK)) { lo = mid; atLo = r; } else { hi = mid; }
    }
  }
  let massK = atLo.y;
  // tau_p >= tau_k: invariant mass(lo) >= topP * massK.
  if (p.topP < 1.0) {
    hi = 1.5;
    for (var it = 0u; it < 40u; it++) {
      let mid = 0.5 * (lo + hi);
      if (kept(lid, mid).y >= p.topP * massK) { lo = mid; } else { hi = mid; }
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
