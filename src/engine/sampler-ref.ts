import type { SamplingParams } from '../kernels/sample.ts';

/**
 * Float64 reference of shaders/sample.wgsl, following Hugging Face's order: repetition penalty,
 * temperature, top-k, top-p (smallest set of most likely tokens whose mass reaches top_p), then one
 * draw by inverse CDF over the kept tokens in id order, with the same counter-based uniform.
 */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** The uniform in [0, 1) the sampler draws for (seed, draw), bit-identical to the shader's. */
export function drawUniform(seed: number, draw: number): number {
  return (pcgHash((seed ^ pcgHash(draw)) >>> 0) >>> 8) / 16777216;
}

/** The ids a sampler may pick, with their unnormalized weights. */
export function keptTokens(logits: ArrayLike<number>, p: SamplingParams, penalized: Iterable<number> = []): Map<number, number> {
  const l = Float64Array.from(logits);
  for (const id of new Set(penalized)) {
    if (id < l.length) l[id] = l[id] > 0 ? l[id] / p.repetitionPenalty : l[id] * p.repetitionPenalty;
  }
  let mx = -Infinity;
  for (const v of l) mx = Math.max(mx, v);
  const e = Array.from(l, (v) => Math.exp((v - mx) / p.temperature));
  const order = e.map((_, i) => i).sort((a, b) => e[b] - e[a] || a - b);
  const k = p.topK > 0 ? Math.min(p.topK, order.length) : order.length;
  const topk = order.slice(0, k);
  const massK = topk.reduce((s, i) => s + e[i], 0);
  const kept = new Map<number, number>();
  let mass = 0;
  for (const i of topk) {
    kept.set(i, e[i]);
    mass += e[i];
    if (mass >= p.topP * massK) break;
  }
  return kept;
}

export function sampleRef(logits: ArrayLike<number>, p: SamplingParams, u: number, penalized: Iterable<number> = []): number {
  const kept = [...keptTokens(logits, p, penalized)].sort((a, b) => a[0] - b[0]);
  const total = kept.reduce((s, [, w]) => s + w, 0);
  let want = u * total;
  for (const [id, w] of kept) {
    if (want < w) return id;
    want -= w;
  }
  return kept[kept.length - 1][0];
}
