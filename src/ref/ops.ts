/**
 * Float64 reference operations: the oracle the WebGPU kernels are tested against. Every array is
 * row-major; plain loops in a fixed order, so a row's result never depends on the other rows.
 */
import { e4m3ToF32, f32ToE4M3 } from '../formats/numeric.ts';
import type { ActivationRounding } from '../formats/quant/scheme.ts';

/** y = x·Wᵀ + b: x [T, K], w [N, K] (Hugging Face Linear layout), bias [N]; returns [T, N]. */
export function matmul(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  T: number,
  N: number,
  K: number,
  bias?: ArrayLike<number>,
): Float64Array {
  checkLength('matmul x', x, T * K);
  checkLength('matmul w', w, N * K);
  if (bias) checkLength('matmul bias', bias, N);
  const y = new Float64Array(T * N); // [T, N]
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += x[t * K + k] * w[n * K + k];
      y[t * N + n] = sum + (bias ? bias[n] : 0);
    }
  }
  return y;
}

/** RMSNorm of each row of x [rows, n] (n = weight.length): weight * x / sqrt(mean(x²) + eps). */
export function rmsNorm(x: ArrayLike<number>, weight: ArrayLike<number>, eps: number): Float64Array {
  const n = weight.length;
  if (x.length % n !== 0) throw new Error(`rmsNorm: x length ${x.length} is not a multiple of ${n}`);
  const y = new Float64Array(x.length); // [rows, n]
  for (let r = 0; r < x.length / n; r++) {
    let sumSq = 0;
    for (let i = 0; i < n; i++) sumSq += x[r * n + i] ** 2;
    const inv = 1 / Math.sqrt(sumSq / n + eps);
    for (let i = 0; i < n; i++) y[r * n + i] = weight[i] * (x[r * n + i] * inv);
  }
  return y;
}

/**
 * Rotary embedding in place on x [T, nHeads*D], token t at absolute position positions[t].
 * Half-split ("NeoX") pairing as Hugging Face's rotate_half: x[i] turns with x[i + D/2] by angle
 * position·invFreq[i]; cos and sin are multiplied by attentionScaling (YaRN).
 */
export function rope(
  x: Float64Array,
  positions: ArrayLike<number>,
  nHeads: number,
  D: number,
  invFreq: ArrayLike<number>,
  attentionScaling = 1,
): void {
  const T = positions.length;
  const half = D / 2;
  checkLength('rope x', x, T * nHeads * D);
  checkLength('rope invFreq', invFreq, half);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const angle = positions[t] * invFreq[i];
      const cos = Math.cos(angle) * attentionScaling;
      const sin = Math.sin(angle) * attentionScaling;
      for (let h = 0; h < nHeads; h++) {
        const o = (t * nHeads + h) * D;
        const a = x[o + i];
        const b = x[o + i + half];
        x[o + i] = a * cos - b * sin;
        x[o + i + half] = b * cos + a * sin;
      }
    }
  }
}

/**
 * Causal grouped-query attention of T new queries q [T, nH*D] over a cache holding pastLen + T
 * positions, kCache/vCache [S >= pastLen+T, nKv*D] (rows beyond are ignored). Query t is at
 * position pastLen + t and sees keys 0..pastLen+t; query head h reads kv head floor(h / (nH/nKv)).
 * Returns [T, nH*D].
 */
export function attention(
  q: ArrayLike<number>,
  kCache: ArrayLike<number>,
  vCache: ArrayLike<number>,
  T: number,
  pastLen: number,
  nH: number,
  nKv: number,
  D: number,
): Float64Array {
  if (nH % nKv !== 0) throw new Error(`attention: ${nH} query heads are not a multiple of ${nKv} kv heads`);
  const kvDim = nKv * D;
  checkLength('attention q', q, T * nH * D);
  if (kCache.length < (pastLen + T) * kvDim || vCache.length < (pastLen + T) * kvDim) {
    throw new Error(`attention: the cache holds fewer than ${pastLen + T} positions`);
  }
  const group = nH / nKv;
  const scale = 1 / Math.sqrt(D);
  const out = new Float64Array(T * nH * D); // [T, nH*D]
  const scores = new Float64Array(pastLen + T); // [keys seen by one query]
  for (let t = 0; t < T; t++) {
    const nKeys = pastLen + t + 1;
    for (let h = 0; h < nH; h++) {
      const qo = (t * nH + h) * D;
      const kvo = Math.floor(h / group) * D;
      for (let s = 0; s < nKeys; s++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[qo + d] * kCache[s * kvDim + kvo + d];
        scores[s] = dot * scale;
      }
      const p = softmax(scores.subarray(0, nKeys)); // [nKeys]
      for (let s = 0; s < nKeys; s++) {
        for (let d = 0; d < D; d++) out[qo + d] += p[s] * vCache[s * kvDim + kvo + d];
      }
    }
  }
  return out;
}

/** SiLU, x·sigmoid(x), elementwise. */
export function silu(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => v / (1 + Math.exp(-v)));
}

/** The gated feed-forward activation silu(gate) * up, elementwise. */
export function swiglu(gate: ArrayLike<number>, up: ArrayLike<number>): Float64Array {
  checkLength('swiglu up', up, gate.length);
  const y = silu(gate);
  for (let i = 0; i < y.length; i++) y[i] *= up[i];
  return y;
}

/** a + b, elementwise. */
export function add(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  checkLength('add b', b, a.length);
  return Float64Array.from(a, (v, i) => v + b[i]);
}

/** Rows ids of table [V, hidden]; returns [ids.length, hidden]. */
export function embed(table: ArrayLike<number>, ids: ArrayLike<number>, hidden: number): Float64Array {
  if (table.length % hidden !== 0) throw new Error(`embed: table length ${table.length} is not a multiple of ${hidden}`);
  const V = table.length / hidden;
  const y = new Float64Array(ids.length * hidden); // [T, hidden]
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t];
    if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`embed: token id ${id} is outside 0..${V - 1}`);
    for (let i = 0; i < hidden; i++) y[t * hidden + i] = table[id * hidden + i];
  }
  return y;
}

/** Softmax of each row of x [rows, n]; n defaults to the whole array. Max-subtracted for range. */
export function softmax(x: ArrayLike<number>, n = x.length): Float64Array {
  if (x.length % n !== 0) throw new Error(`softmax: length ${x.length} is not a multiple of ${n}`);
  const y = new Float64Array(x.length); // [rows, n]
  for (let o = 0; o < x.length; o += n) {
    let max = -Infinity;
    for (let i = 0; i < n; i++) max = Math.max(max, x[o + i]);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      y[o + i] = Math.exp(x[o + i] - max);
      sum += y[o + i];
    }
    for (let i = 0; i < n; i++) y[o + i] /= sum;
  }
  return y;
}

function checkLength(what: string, a: ArrayLike<number>, want: number): void {
  if (a.length !== want) throw new Error(`${what}: length ${a.length}, expected ${want}`);
}

/**
 * W8A8 FP8 input rounding: each `group` values of a row (0: the whole row) scaled by
 * s = max|x| / 448, rounded to the nearest E4M3 value (ties to even) and scaled back.
 */
export function roundToE4M3(x: Float64Array, n: number, group: number): Float64Array {
  return roundGroups(x, n, group, (v, amax) => e4m3ToF32(f32ToE4M3(v / (amax / 448))) * (amax / 448));
}

/**
 * W8A8 INT8 input rounding (vLLM's dynamic per-token int8): each `group` values of a row (0: the
 * whole row) to round(x 127 / max|x|), ties to even, clamped to [-128, 127], times max|x| / 127.
 * With a threshold (bitsandbytes LLM.int8), values of |x| >= threshold stay as they are and max|x|
 * is taken over the others.
 */
export function roundToInt8(x: Float64Array, n: number, group: number, threshold = Infinity): Float64Array {
  const outlier = (v: number) => Math.abs(v) >= threshold;
  return roundGroups(x, n, group, (v, amax) => Math.min(127, Math.max(-128, roundHalfEven((v * 127) / amax))) * (amax / 127), outlier);
}

/** A W8A8 checkpoint's input rounding, FP8 or INT8 (with LLM.int8's outliers when it has a threshold). */
export function roundActivations(x: Float64Array, n: number, r: ActivationRounding): Float64Array {
  return r.format === 'e4m3' ? roundToE4M3(x, n, r.group) : roundToInt8(x, n, r.group, r.threshold);
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Each group of `group` values of a row (0: the whole row) through `round(value, max |value| of the
 * group)`, the max over values that are not `excluded`; groups whose max is 0 stay.
 */
function roundGroups(x: Float64Array, n: number, group: number, round: (v: number, amax: number) => number, excluded = (_v: number) => false): Float64Array {
  const g = group > 0 ? Math.min(group, n) : n;
  const out = Float64Array.from(x);
  for (let row = 0; row < x.length; row += n) {
    for (let start = row; start < row + n; start += g) {
      const end = Math.min(start + g, row + n);
      let amax = 0;
      for (let i = start; i < end; i++) if (!excluded(x[i])) amax = Math.max(amax, Math.abs(x[i]));
      if (amax === 0) continue;
      for (let i = start; i < end; i++) if (!excluded(x[i])) out[i] = round(x[i], amax);
    }
  }
  return out;
}
