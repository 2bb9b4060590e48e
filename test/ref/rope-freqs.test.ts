import { describe, expect, it } from 'vitest';
import { ropeInvFreqs } from '../../src/model/rope-freqs.ts';

describe('ropeInvFreqs', () => {
  it('default: 1/theta^(2i/D), no attention scaling', () => {
    const { invFreq, attentionScaling } = ropeInvFreqs({ headDim: 8, ropeTheta: 10000, ropeScaling: null });
    // 10000^(-2i/8) = 10^(-i) for i = 0..3.
    expect(Array.from(invFreq)).toEqual([1, 0.1, 0.01, 0.001].map((v) => expect.closeTo(v, 15)));
    expect(attentionScaling).toBe(1);
  });

  it('rejects an odd head dimension', () => {
    expect(() => ropeInvFreqs({ headDim: 7, ropeTheta: 10000, ropeScaling: null })).toThrow(/even/);
  });

  it('llama3 with the R1-Distill-Llama-8B settings: three regimes', () => {
    const orig = 8192;
    const { invFreq, attentionScaling } = ropeInvFreqs({
      headDim: 128,
      ropeTheta: 5e5,
      ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: orig },
    });
    expect(invFreq.length).toBe(64);
    expect(attentionScaling).toBe(1);
    for (let i = 0; i < 64; i++) {
      const f = Math.exp((-2 * i * Math.log(5e5)) / 128);
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < orig / 4) {
        // Shorter than 2048 positions: unchanged. By hand, 2π·5e5^(i/64) < 2048 ⇔ i <= 28.
        expect(i).toBeLessThanOrEqual(28);
        expect(invFreq[i]).toBeCloseTo(f, 15);
      } else if (wavelen > orig) {
        // Longer than 8192 positions: interpolated by the factor. By hand ⇔ i >= 35.
        expect(i).toBeGreaterThanOrEqual(35);
        expect(invFreq[i] / f).toBeCloseTo(1 / 8, 14);
      } else {
        // In between: 1/wavelength blends linearly from f/8 (at 8192) to f (at 2048).
        const t = (orig / wavelen - 1) / (4 - 1);
        expect(invFreq[i] / f).toBeCloseTo((1 - t) / 8 + t, 14);
        expect(invFreq[i]).toBeLessThan(f);
        expect(invFreq[i]).toBeGreaterThan(f / 8);
      }
    }
    expect(invFreq[0]).toBe(1);
    expect(invFreq[63]).toBeCloseTo(Math.pow(5e5, -126 / 128) / 8, 18);
  });

  it('yarn (Qwen3-like): endpoints, a monotone ramp, the attention factor', () => {
    const attentionFactor = 0.1 * Math.log(4) + 1;
    const { invFreq, attentionScaling } = ropeInvFreqs({
      headDim: 128,
      ropeTheta: 1e6,
      ropeScaling: { type: 'yarn', factor: 4, originalMaxPositions: 32768, betaFast: 32, betaSlow: 1, attentionFactor, truncate: true },
    });
    expect(attentionScaling).toBe(attentionFactor);
    const ratio = Array.from(invFreq, (f, i) => Math.pow(1e6, (-2 * i) / 128) / f); // [64] divisor per pair
    // By hand: correction dims 128·ln(32768/(2π·r))/(2·ln 1e6) are 23.6 (r=32) and 39.65 (r=1),
    // truncated to low = 23 and high = 40.
    for (let i = 0; i <= 23; i++) expect(ratio[i]).toBeCloseTo(1, 14);
    for (let i = 40; i < 64; i++) expect(ratio[i]).toBeCloseTo(4, 13);
    for (let i = 24; i < 40; i++) {
      expect(ratio[i]).toBeGreaterThan(ratio[i - 1]);
      const ramp = (i - 23) / 17;
      expect(1 / ratio[i]).toBeCloseTo(ramp / 4 + (1 - ramp), 14);
    }
    for (let i = 1; i < 64; i++) expect(invFreq[i]).toBeLessThan(invFreq[i - 1]);
  });

  it('yarn with truncate: false ramps over the exact correction dims', () => {
    const { invFreq } = ropeInvFreqs({
      headDim: 128,
      ropeTheta: 1e6,
      ropeScaling: { type: 'yarn', factor: 4, originalMaxPositions: 32768, betaFast: 32, betaSlow: 1, attentionFactor: 1, truncate: false },
    });
    const dim = (r: number) => (128 * Math.log(32768 / (2 * Math.PI * r))) / (2 * Math.log(1e6));
    const [low, high] = [dim(32), dim(1)];
    for (let i = 0; i < 64; i++) {
      const ramp = Math.min(Math.max((i - low) / (high - low), 0), 1);
      expect(Math.pow(1e6, (-2 * i) / 128) / invFreq[i]).toBeCloseTo(1 / (ramp / 4 + (1 - ramp)), 12);
    }
  });
});
