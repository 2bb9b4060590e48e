import type { ModelConfig, RopeScaling } from './config.ts';

/**
 * RoPE rotation frequencies per dimension pair, as Hugging Face transformers computes them
 * (`_compute_default_rope_parameters`, `_compute_linear_scaling_rope_parameters`,
 * `_compute_llama3_parameters`, `_compute_yarn_parameters`),
 * in float64. `attentionScaling` multiplies cos and sin (1 except for YaRN).
 * Dependency-free: the GPU path uploads `invFreq` and the reference uses it directly.
 */
export function ropeInvFreqs(config: Pick<ModelConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>): {
  invFreq: Float64Array;
  attentionScaling: number;
} {
  const { headDim: D, ropeTheta: theta, ropeScaling: s } = config;
  if (D <= 0 || D % 2 !== 0) throw new Error(`RoPE needs an even head dimension, got ${D}`);
  const base = new Float64Array(D / 2); // [D/2]
  for (let i = 0; i < D / 2; i++) base[i] = 1 / Math.pow(theta, (2 * i) / D);
  if (s === null) return { invFreq: base, attentionScaling: 1 };
  if (s.type === 'linear') return { invFreq: base.map((f) => f / s.factor), attentionScaling: 1 };
  if (s.type === 'llama3') return { invFreq: llama3(base, s), attentionScaling: 1 };
  return { invFreq: yarn(base, D, theta, s), attentionScaling: s.attentionFactor };
}

/**
 * Llama 3: long wavelengths (beyond the original context) are slowed by `factor`, short ones kept,
 * and the band in between blends the two linearly in 1/wavelength.
 */
function llama3(base: Float64Array, s: Extract<RopeScaling, { type: 'llama3' }>): Float64Array {
  const lowFreqWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highFreqWavelen = s.originalMaxPositions / s.highFreqFactor;
  return base.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highFreqWavelen) return f;
    if (wavelen > lowFreqWavelen) return f / s.factor;
    const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return ((1 - smooth) * f) / s.factor + smooth * f;
  });
}

/**
 * YaRN: dimensions that rotate more than betaFast times over the original context keep their
 * frequency (extrapolation), those under betaSlow are divided by `factor` (interpolation), with a
 * linear ramp over the pair index between them. The correction range is rounded out to whole pair
 * indices unless the config says `truncate: false`.
 */
function yarn(base: Float64Array, D: number, theta: number, s: Extract<RopeScaling, { type: 'yarn' }>): Float64Array {
  // The pair index at which a frequency completes `rotations` turns over the original context.
  const correctionDim = (rotations: number) =>
    (D * Math.log(s.originalMaxPositions / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
  const [lowDim, highDim] = [correctionDim(s.betaFast), correctionDim(s.betaSlow)];
  const low = Math.max(s.truncate ? Math.floor(lowDim) : lowDim, 0);
  let high = Math.min(s.truncate ? Math.ceil(highDim) : highDim, D - 1);
  if (high === low) high += 0.001; // avoids a division by zero in the ramp
  return base.map((f, i) => {
    const ramp = Math.min(Math.max((i - low) / (high - low), 0), 1);
    const extrapolation = 1 - ramp;
    return (f / s.factor) * (1 - extrapolation) + f * extrapolation;
  });
}

/**
 * cos/sin of every (position, frequency) pair, computed in float64 on the CPU: WGSL's sin/cos only
 * promise 2^-11 absolute accuracy (and only within [-pi, pi]), far too coarse at position 4000.
 * Layout [maxSeq, headDim/2] of (cos, sin) pairs, attention scaling included.
 */
export function ropeTable(invFreq: ArrayLike<number>, attentionScaling: number, maxSeq: number): Float32Array {
  const half = invFreq.length;
  const out = new Float32Array(maxSeq * half * 2);
  for (let p = 0; p < maxSeq; p++) {
    for (let i = 0; i < half; i++) {
      // Angles as transformers computes them: float32 position times float32 inv_freq.
      const angle = Math.fround(p * Math.fround(invFreq[i]));
      out[(p * half + i) * 2] = Math.cos(angle) * attentionScaling;
      out[(p * half + i) * 2 + 1] = Math.sin(angle) * attentionScaling;
    }
  }
  return out;
}
