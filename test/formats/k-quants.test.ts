import { describe, expect, it } from 'vitest';
import { dequantizeRows } from '../../src/formats/numeric.ts';
import { quantizeKQuant } from '../../scripts/lib/k-quants.ts';
import { Rng } from '../../scripts/lib/random.ts';

/** Hand-built K-quant blocks (llama.cpp block_q4_K / block_q6_K layouts) and the values they hold. */
describe('K-quant float64 decoders', () => {
  it('Q4_K: d * scale * q - dmin * min, with get_scale_min_k4 packing for sub-blocks 4..7', () => {
    const b = new Uint8Array(144);
    const v = new DataView(b.buffer);
    v.setUint16(0, 0x3c00, true); // d = 1
    v.setUint16(2, 0x3800, true); // dmin = 0.5
    b[4 + 0] = 3; // sub-block 0: scale 3
    b[4 + 4] = 2; // sub-block 0: min 2
    b[4 + 8] = 0x21; // sub-block 4: scale 1 (low nibble), min 2 (high nibble)
    b[16 + 0] = 0x5a; // value 0 = low nibble 10; value 32 = high nibble 5 (sub-block 1: scale 0)
    b[16 + 64] = 0x07; // value 128 (sub-block 4) = 7
    const y = dequantizeRows('q4_k', b, 1, 256);
    expect(y[0]).toBe(1 * 3 * 10 - 0.5 * 2);
    expect(y[32]).toBe(0);
    expect(y[128]).toBe(1 * 1 * 7 - 0.5 * 2);
    expect(y[1]).toBe(-0.5 * 2); // q = 0, same sub-block
  });

  it('Q5_K: Q4_K plus bit 2c (+1 for the high half) of qh[l] as the fifth bit', () => {
    const b = new Uint8Array(176);
    const v = new DataView(b.buffer);
    v.setUint16(0, 0x3c00, true); // d = 1
    v.setUint16(2, 0x3800, true); // dmin = 0.5
    b[4 + 0] = 3; // sub-block 0: scale 3
    b[4 + 1] = 2; // sub-block 1: scale 2
    b[4 + 4] = 2; // sub-block 0: min 2
    b[4 + 2] = 1; // sub-block 2 (values 64..95): scale 1
    b[16 + 0] = 0b0110; // qh[0]: bit 1 (value 32) and bit 2 (value 64) set
    b[48 + 0] = 0x5a; // value 0: 10; value 32: 5
    b[48 + 32] = 0x03; // value 64: 3
    const y = dequantizeRows('q5_k', b, 1, 256);
    expect(y[0]).toBe(1 * 3 * 10 - 0.5 * 2);
    expect(y[32]).toBe(1 * 2 * (5 + 16));
    expect(y[64]).toBe(1 * 1 * (3 + 16));
  });

  it('Q6_K: (ql | qh << 4) - 32, times d and a signed 8-bit scale per 16 values', () => {
    const b = new Uint8Array(210);
    const v = new DataView(b.buffer);
    v.setUint16(208, 0x4000, true); // d = 2, stored last
    v.setInt8(192 + 0, -3); // scale of values 0..15
    v.setInt8(192 + 2, 1); // scale of values 32..47
    b[0] = 0x05; // ql of value 0 (low nibble)
    b[128] = 0b10; // qh of value 0: bits 0-1 = 2
    const y = dequantizeRows('q6_k', b, 1, 256);
    expect(y[0]).toBe(2 * -3 * ((5 | (2 << 4)) - 32));
    expect(y[32]).toBe(2 * 1 * (0 - 32));
    expect(Math.abs(y[16])).toBe(0); // scale index 1 is 0
  });
});

describe('the test-model K-quant quantizers (scripts/lib/k-quants.ts)', () => {
  // Unit normals: the rounding error of each type, as a fraction of the values' spread.
  const x = new Rng(31).normals(256 * 16);
  it.each([
    ['q4_k', 0.1],
    ['q5_k', 0.05],
    ['q6_k', 0.025],
  ] as const)('%s: valid blocks that decode to the values within %s rms', (dtype, rms) => {
    const y = dequantizeRows(dtype, quantizeKQuant(dtype, x), 16, 256);
    let e = 0;
    for (let i = 0; i < x.length; i++) e += (y[i] - x[i]) ** 2;
    expect(Math.sqrt(e / x.length)).toBeLessThan(rms);
    expect(Math.sqrt(e / x.length)).toBeGreaterThan(rms / 8); // really quantized
  });
});
