import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dequantizeRows } from '../../src/formats/numeric.ts';
import { iqGridWords } from '../../src/formats/iq-grids.ts';
import { signsOf7 } from '../../src/formats/i-quants.ts';
import type { WeightDtype } from '../../src/formats/dtypes.ts';

/** Blocks and gguf-py's decode of them (test/fixtures/formats/decode_gguf_blocks.py writes the file). */
const CASES: Record<string, { bytes: string; values: number[] }> = JSON.parse(
  readFileSync(new URL('../fixtures/formats/gguf-blocks.json', import.meta.url), 'utf8'),
);

const hexBytes = (hex: string) => Uint8Array.from(hex.match(/../g)!, (b) => parseInt(b, 16));

describe('Q5_1 and grid i-quant decoders against gguf-py', () => {
  it.each(Object.keys(CASES))('%s: every value of random blocks as gguf-py decodes them', (name) => {
    const { bytes, values } = CASES[name];
    const got = dequantizeRows(name.toLowerCase() as WeightDtype, hexBytes(bytes), 1, values.length);
    // gguf-py computes in float32 and the decoder in float64: products of an f16 and small integers
    // (or ±1/8 steps) are exact in both but for the last bit of float32.
    for (let i = 0; i < values.length; i++) expect(Math.abs(got[i] - values[i])).toBeLessThanOrEqual(Math.abs(values[i]) * 2 ** -23);
    expect(new Set(values.map(Math.sign)).size).toBeGreaterThan(1);
  });
});

describe('i-quant grids', () => {
  it.each([
    ['iq2_xxs', 256 * 2, [0x08, 0x19, 0x2b]],
    ['iq2_xs', 512 * 2, [0x08, 0x19, 0x2b]],
    ['iq2_s', 1024 * 2, [0x08, 0x19, 0x2b]],
    ['iq3_xxs', 256, [4, 12, 20, 28, 36, 44, 52, 62]],
    ['iq3_s', 512, [1, 3, 5, 7, 9, 11, 13, 15]],
    ['iq1_s', 2048 * 2, [0xff, 0, 1]],
  ] as const)('%s: %i words of distinct points, values from its levels', (dtype, words, levels) => {
    const w = iqGridWords(dtype);
    expect(w.length).toBe(words);
    const bytes = new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
    expect(bytes.every((b) => (levels as readonly number[]).includes(b))).toBe(true);
    const pointBytes = dtype.startsWith('iq3') ? 4 : 8;
    const points = new Set(Array.from({ length: bytes.length / pointBytes }, (_, i) => bytes.subarray(i * pointBytes, (i + 1) * pointBytes).join()));
    expect(points.size).toBe(bytes.length / pointBytes);
  });

  it('IQ1_M reads the IQ1_S grid', () => {
    expect(iqGridWords('iq1_m')).toBe(iqGridWords('iq1_s'));
  });

  it('ksigns: the stored 7 bits, and an eighth making the count of set bits even', () => {
    expect(signsOf7(0)).toBe(0);
    expect(signsOf7(1)).toBe(129);
    expect(signsOf7(3)).toBe(3);
    expect(signsOf7(127)).toBe(255);
    for (let i = 0; i < 128; i++) expect(signsOf7(i).toString(2).split('1').length % 2).toBe(1);
  });
});
