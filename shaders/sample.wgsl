// Picks the next token on the GPU so that only 4 bytes are read back per step.
// Greedy (repetition penalty, then argmax): `chunk_max`, then `argmax`. Sampling, in Hugging
// Face's order (repetition penalty, temperature, top-k, top-p, then one draw): `chunk_max`,
// `chunk_weights`, `chunk_gather`, `sample`.
// The vocabulary (~150k ids) is cut into chunks of CHUNK ids, one workgroup each, so that the passes
// over all of it run on the whole GPU: one workgroup reading 150k values runs latency-bound on one
// core, tens of microseconds a pass on a big GPU. Only the last stage runs in one workgroup.
//   chunk_max      each chunk's largest penalized logit and its lowest id.
//   argmax         the largest of those: the greedy pick.
//   chunk_weights  weights e_i = exp((l_i - max) / temperature) in (0, 1], in place of the logits; the
//                  chunk's mass, and its count and mass above each of LEVELS thresholds eps 16^l.
//   chunk_gather   from the chunks' sums, the highest threshold that no kept token can be below (see
//                  `plan`); where at most CAP tokens reach it, each chunk compacts them in id order
//                  into its slots of `cands`.
//   sample         Top-k/top-p keep {i : e_i >= tau}; tau is found by search (no sort of the
//                  vocabulary): tau_k is the largest threshold keeping >= topK tokens, tau_p the
//                  largest >= tau_k keeping >= topP of the top-k mass (`search`: 40 halvings each, or
//                  15 passes cutting in sevenths on GPUs). Where the candidates were gathered (the
//                  usual, peaked case) they are copied into workgroup memory and the searches and the
//                  draw read only them; otherwise they read the whole vocabulary. The draw u comes from a counter-based hash of (seed, draw), mirrored in
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
  max: f32,      // chunk_max: the largest penalized logit
  id: u32,       //            its lowest id
  mass: f32,     // chunk_weights: the sum of the chunk's weights
  nAt: array<u32, LEVELS>,    //     how many of them are >= level_threshold(l)
  massAt: array<f32, LEVELS>, //     and their sum
};

@group(0) @binding(0) var<storage, read_write> logits: array<f32>;   // [vocab]
@group(0) @binding(1) var<storage, read_write> result: array<u32>;   // [1] chosen id
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(5) var<storage, read_write> chunks: array<Chunk>; // [ceil(vocab / CHUNK)]
@group(0) @binding(4) var<storage, read> penalized: array<u32>;      // [ceil(vocab / 32)] bit i: id i is in the context
#if SAMPLE
@group(0) @binding(3) var<uniform> step: Step;
@group(0) @binding(6) var<storage, read_write> cands: array<vec2<u32>>; // [chunks * CHUNK] (weight bits, id), chunk c's from c * CHUNK
#endif

const NEG_BIG: f32 = -3.0e38;
// Candidate thresholds of the sampled pick: eps 16^l (see `sample`).
const LEVELS: u32 = 6u;
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

// The logit of id i, shrunk by the repetition penalty (CTRL paper, as transformers) if i is in the
// context: greedy picks too, as transformers and llama.cpp apply it before their argmax.
fn logit(i: u32) -> f32 {
  let l = logits[i];
  if (p.penalty != 1.0 && ((penalized[i >> 5u] >> (i & 31u)) & 1u) == 1u) {
    return select(l * p.penalty, l / p.penalty, l > 0.0);
  }
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

// Count and mass at every level in one reduction: 2 barriers, not 3 per level. Subgroups of 4 lanes
// or more (src/kernels/sample.ts asks for them) leave at most WG / 4 partial sums.
var<workgroup> levelParts: array<array<vec2<f32>, LEVELS>, WG / 4u>;
var<workgroup> levelTotals: array<vec2<f32>, LEVELS>;
fn sum_levels(lid: u32, v: array<vec2<f32>, LEVELS>) -> array<vec2<f32>, LEVELS> {
  var s: array<vec2<f32>, LEVELS>;
  for (var l = 0u; l < LEVELS; l++) { s[l] = subgroupAdd(v[l]); }
  if (lid % sgSize == 0u) { levelParts[lid / sgSize] = s; }
  workgroupBarrier();
  if (lid == 0u) {
    var t = levelParts[0];
    for (var i = 1u; i < WG / sgSize; i++) {
      for (var l = 0u; l < LEVELS; l++) { t[l] += levelParts[i][l]; }
    }
    levelTotals = t;
  }
  return workgroupUniformLoad(&levelTotals);
}

// The sum of v over the threads before this one: within the subgroup in registers, then over the
// subgroups before it.
var<workgroup> scanParts: array<u32, WG / 4u>;
fn exclusive_scan(lid: u32, v: u32) -> u32 {
  let inSubgroup = subgroupExclusiveAdd(v);
  if (lid % sgSize == sgSize - 1u) { scanParts[lid / sgSize] = inSubgroup + v; }
  workgroupBarrier();
  var before = 0u;
  for (var i = 0u; i < lid / sgSize; i++) { before += scanParts[i]; }
  return before + inSubgroup;
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

fn sum_levels(lid: u32, v: array<vec2<f32>, LEVELS>) -> array<vec2<f32>, LEVELS> {
  var r: array<vec2<f32>, LEVELS>;
  for (var l = 0u; l < LEVELS; l++) { r[l] = sum2_all(lid, v[l]); }
  return r;
}

// The sum of v over the threads before this one: thread 0 walks them (no barrier per step, which
// CPU adapters pay most for).
fn exclusive_scan(lid: u32, v: u32) -> u32 {
  redU[lid] = v;
  workgroupBarrier();
  if (lid == 0u) {
    var run = 0u;
    for (var t = 0u; t < WG; t++) {
      let c = redU[t];
      redU[t] = run;
      run += c;
    }
  }
  workgroupBarrier();
  return redU[lid];
}
#endif

// The candidates when they are few: the bisection passes and the draw then read CAP values at most
// instead of the whole vocabulary.
const CAP: u32 = 1024u;
var<workgroup> cand: array<f32, CAP>;
var<workgroup> candId: array<u32, CAP>;
var<workgroup> offs: array<u32, MAX_CHUNKS + 1u>;

// The workgroup-uniform builtins of the sampling entry points: one struct, so that with SUBGROUPS
// every signature also takes the subgroup size.
struct Group {
  @builtin(workgroup_id) wid: vec3<u32>,
#if SUBGROUPS
  @builtin(subgroup_size) size: u32,
#endif
};

// Records the subgroup size for the reductions; returns the workgroup's chunk.
fn begin(g: Group) -> u32 {
#if SUBGROUPS
  sgSize = g.size;
#endif
  return g.wid.x;
}

// With top-p, no weight below eps = (1 - topP) / vocab can be kept: all of them together weigh
// less than (1 - topP), and the kept mass is topP of at least 1 (the top token's weight).
fn eps_of() -> f32 {
  return select(0.0, (1.0 - p.topP) / f32(p.vocab), p.topP < 1.0);
}

// Level l's threshold, eps 16^l: a higher level that still bounds the kept set from below gathers
// fewer candidates (a model's tail often holds thousands of tokens above eps but far below tau).
fn level_threshold(l: u32) -> f32 {
  // A power of two times eps, exact (exp2 need not be): every stage must get the same thresholds.
  return eps_of() * f32(1u << (4u * l));
}

@compute @workgroup_size(WG)
fn chunk_weights(g: Group, @builtin(local_invocation_index) lid: u32) {
  let chunk = begin(g);
  // Every workgroup reduces the chunks' maxima itself: a few hundred values.
  var m = NEG_BIG;
  for (var c = lid; c < n_chunks(); c += WG) { m = max(m, chunks[c].max); }
  let mx = max_all(lid, m);
  let i0 = chunk * CHUNK + lid * PER_THREAD;
  var mass = 0.0;
  var lv: array<vec2<f32>, LEVELS>; // count and mass at each level
  for (var i = i0; i < min(i0 + PER_THREAD, p.vocab); i++) {
    // Computed once, in place: the later stages only compare.
    let e = exp((logit(i) - mx) / p.temperature);
    logits[i] = e;
    mass += e;
    for (var l = 0u; l < LEVELS; l++) {
      if (e >= level_threshold(l)) { lv[l] += vec2<f32>(1.0, e); }
    }
  }
  let total = sum2_all(lid, vec2<f32>(mass, 0.0)).x;
  let at = sum_levels(lid, lv);
  if (lid == 0u) {
    chunks[chunk].mass = total;
    for (var l = 0u; l < LEVELS; l++) {
      chunks[chunk].nAt[l] = u32(at[l].x);
      chunks[chunk].massAt[l] = at[l].y;
    }
  }
}

// What `chunk_gather` and `sample` decide alike from the chunk sums (uniform values).
struct Plan {
  all: vec2<f32>,   // count and mass of the whole vocabulary
  atLevel: vec2<f32>, // count and mass of the weights >= the level's threshold
  level: u32,
  fits: bool,       // gather: at most CAP candidates, and with top-k at least k of them
};

// The highest level whose threshold still lies at or below tau: its mass reaches topP of the total
// (with a 1e-5 margin against rounding; level 0 does by the eps argument), and with top-k it keeps
// at least k tokens. tau_p >= tau_k >= that threshold, so every kept token is a candidate.
fn plan(lid: u32) -> Plan {
  var m = 0.0;
  for (var c = lid; c < n_chunks(); c += WG) { m += chunks[c].mass; }
  let all = vec2<f32>(f32(p.vocab), sum2_all(lid, vec2<f32>(m, 0.0)).x);
  let topKOn = p.topK > 0u && p.topK < p.vocab;
  var a: array<vec2<f32>, LEVELS>;
  for (var c = lid; c < n_chunks(); c += WG) {
    for (var l = 0u; l < LEVELS; l++) { a[l] += vec2<f32>(f32(chunks[c].nAt[l]), chunks[c].massAt[l]); }
  }
  let at = sum_levels(lid, a);
  // Level 0 when none qualifies: then fits is false, for top-k asks for more than reach eps.
  var level = 0u;
  var atLevel = at[0];
  for (var l = 0u; l < LEVELS; l++) {
    let massOk = l == 0u || at[l].y >= p.topP * all.y * (1.0 + 1e-5);
    if (massOk && (!topKOn || at[l].x >= f32(p.topK))) {
      level = l;
      atLevel = at[l];
    }
  }
  let eps = eps_of();
  let fits = eps > 0.0 && atLevel.x <= f32(CAP) && (!topKOn || atLevel.x >= f32(p.topK));
  return Plan(all, atLevel, level, fits);
}

// The candidates (weights >= the plan's threshold) of each chunk, compacted in id order into the
// chunk's slots of `cands`, when the plan gathers.
@compute @workgroup_size(WG)
fn chunk_gather(g: Group, @builtin(local_invocation_index) lid: u32) {
  let chunk = begin(g);
  let pl = plan(lid);
  if (!pl.fits) { return; }
  let t = level_threshold(pl.level);
  let i0 = chunk * CHUNK + lid * PER_THREAD;
  var cnt = 0u;
  for (var i = i0; i < min(i0 + PER_THREAD, p.vocab); i++) {
    if (logits[i] >= t) { cnt++; }
  }
  var at = chunk * CHUNK + exclusive_scan(lid, cnt);
  for (var i = i0; i < min(i0 + PER_THREAD, p.vocab); i++) {
    let e = logits[i];
    if (e >= t) {
      cands[at] = vec2<u32>(bitcast<u32>(e), i);
      at++;
    }
  }
}

/** Count (as f32) and mass of weights >= tau: of the gathered n, or of the whole vocabulary (n = 0). */
fn kept(lid: u32, tau: f32, n: u32) -> vec2<f32> {
  var r = vec2<f32>(0.0);
  for (var j = lid; j < select(p.vocab, n, n > 0u); j += WG) {
    let e = draw_weight(j, n > 0u);
    if (e >= tau) { r += vec2<f32>(1.0, e); }
  }
  return sum2_all(lid, r);
}

#if MULTISECTION
/** Count and mass of weights >= lo + step (s + 1) for each s < LEVELS, in one pass; n as in kept(). */
fn kept_at(lid: u32, lo: f32, step: f32, n: u32) -> array<vec2<f32>, LEVELS> {
  var r: array<vec2<f32>, LEVELS>;
  for (var j = lid; j < select(p.vocab, n, n > 0u); j += WG) {
    let e = draw_weight(j, n > 0u);
    for (var s = 0u; s < LEVELS; s++) {
      if (e >= lo + step * f32(s + 1u)) { r[s] += vec2<f32>(1.0, e); }
    }
  }
  return sum_levels(lid, r);
}
#endif

// A threshold search: the test (count, or with byMass the mass, of the weights >= t reaching `want`)
// holds at lo and fails at hi; atLo is the count and mass at lo.
struct Bracket {
  lo: f32,
  hi: f32,
  atLo: vec2<f32>,
};

// Narrows the bracket to float precision. MULTISECTION (GPUs, where each pass is one workgroup's
// latency-bound sweep): LEVELS thresholds per pass cut it in LEVELS + 1, so 15 passes do what 40
// halvings do; CPU adapters pay per comparison instead and halve it.
fn search(lid: u32, start: Bracket, n: u32, byMass: bool, want: f32) -> Bracket {
  var b = start;
#if MULTISECTION
  for (var it = 0u; it < 15u; it++) {
    let lo = b.lo;
    let step = (b.hi - lo) / f32(LEVELS + 1u);
    let r = kept_at(lid, lo, step, n);
    // The first threshold that fails ends the scan: rounded sums need not be monotonic.
    for (var s = 0u; s < LEVELS; s++) {
      let t = lo + step * f32(s + 1u);
      if (select(r[s].x, r[s].y, byMass) < want) {
        b.hi = t;
        break;
      }
      b.lo = t;
      b.atLo = r[s];
    }
  }
#else
  for (var it = 0u; it < 40u; it++) {
    let mid = 0.5 * (b.lo + b.hi);
    let r = kept(lid, mid, n);
    if (select(r.x, r.y, byMass) >= want) {
      b.lo = mid;
      b.atLo = r;
    } else {
      b.hi = mid;
    }
  }
#endif
  return b;
}

/** Copies the n candidates (weights >= level `level`'s threshold) of all chunks into cand / candId, in id order. */
fn gather(lid: u32, n: u32, level: u32) {
  let nc = n_chunks();
  for (var c = lid; c < nc; c += WG) { offs[c + 1u] = chunks[c].nAt[level]; }
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

// Weight j of what the searches and the draw walk: the gathered candidates, or the whole vocabulary.
fn draw_weight(j: u32, fits: bool) -> f32 {
  if (fits) { return cand[j]; }
  return logits[j];
}

@compute @workgroup_size(WG)
fn sample(g: Group, @builtin(local_invocation_index) lid: u32) {
  _ = begin(g);
  let pl = plan(lid);
  let all = pl.all;
  let topKOn = p.topK > 0u && p.topK < p.vocab;
  let fits = pl.fits;
  let floor = level_threshold(pl.level);
  let n = select(0u, u32(pl.atLevel.x), fits);
  if (fits) { gather(lid, n, pl.level); }

  // tau_k: the largest threshold keeping >= topK tokens. Weights lie in (0, 1].
  var lo = 0.0;
  var atLo = all;
  if (topKOn) {
    let b = search(lid, Bracket(select(0.0, floor, fits), 1.5, select(all, pl.atLevel, fits)), n, false, f32(p.topK));
    lo = b.lo;
    atLo = b.atLo;
  }
  let massK = atLo.y;
  // tau_p >= tau_k: the largest threshold keeping topP of the top-k mass.
  if (p.topP < 1.0) {
    lo = search(lid, Bracket(max(lo, select(0.0, floor, fits)), 1.5, atLo), n, true, p.topP * massK).lo;
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
