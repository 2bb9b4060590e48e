import { DTYPE_LAYOUTS, type WeightDtype } from '../../src/formats/dtypes.ts';
import { f32ToBf16, f32ToF16, f32ToF16Bits, quantizeF8E4M3_128, quantizeQ4_0, quantizeQ8_0 } from '../../src/formats/numeric.ts';
import type { Rng } from './random.ts';

/** f32 values (rows of whole blocks for quantized types) in a weight type's stored bytes. */
export function encodeWeights(dtype: WeightDtype, values: Float32Array): Uint8Array {
  switch (dtype) {
    case 'f32':
      return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    case 'f16':
      return new Uint8Array(f32ToF16(values).buffer);
    case 'bf16':
      return new Uint8Array(f32ToBf16(values).buffer);
    case 'q8_0':
      return quantizeQ8_0(values);
    case 'q4_0':
      return quantizeQ4_0(values);
    case 'q4_1':
      return quantizeQ4_1(values);
    case 'q5_0':
      return quantizeQ5_0(values);
    case 'f8e4m3_128':
      return quantizeF8E4M3_128(values);
    case 'q4z_32':
    case 'q4z_64':
    case 'q4z_128':
      return quantizeQ4z(values, DTYPE_LAYOUTS[dtype].blockElems);
    case 'iq4_nl':
    case 'iq4_xs':
    case 'q2_k':
    case 'q3_k':
    case 'q4_k':
    case 'q5_k':
    case 'q6_k':
      throw new RangeError(`no ${dtype} quantizer here: use randomKQuantBytes or k-quants.ts for test data`);
  }
}

/** llama.cpp quantize_row_q4_1_ref: d = (max - min) / 15, m = min, q = min(15, trunc((x - min) / d + 0.5)). */
export function quantizeQ4_1(values: Float32Array): Uint8Array {
  const out = new Uint8Array((values.length / 32) * 20);
  const view = new DataView(out.buffer);
  for (let b = 0; b < values.length / 32; b++) {
    const block = values.subarray(b * 32, b * 32 + 32);
    const min = Math.min(...block);
    const d = Math.fround((Math.max(...block) - min) / 15);
    const id = d ? Math.fround(1 / d) : 0;
    view.setUint16(b * 20, f32ToF16Bits(d), true);
    view.setUint16(b * 20 + 2, f32ToF16Bits(min), true);
    for (let j = 0; j < 16; j++) {
      const q = (x: number) => Math.min(15, Math.trunc(Math.fround(Math.fround((x - min) * id) + 0.5)));
      out[b * 20 + 4 + j] = q(block[j]) | (q(block[16 + j]) << 4);
    }
  }
  return out;
}

/** llama.cpp quantize_row_q5_0_ref: d = (signed value of max magnitude) / -16, q = min(31, trunc(x/d + 16.5)). */
export function quantizeQ5_0(values: Float32Array): Uint8Array {
  const out = new Uint8Array((values.length / 32) * 22);
  const view = new DataView(out.buffer);
  for (let b = 0; b < values.length / 32; b++) {
    const block = values.subarray(b * 32, b * 32 + 32);
    const max = block.reduce((m, v) => (Math.abs(v) > Math.abs(m) ? v : m), 0);
    const d = Math.fround(max / -16);
    const id = d ? Math.fround(1 / d) : 0;
    view.setUint16(b * 22, f32ToF16Bits(d), true);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const q = (x: number) => Math.min(31, Math.trunc(Math.fround(Math.fround(x * id) + 16.5)));
      const lo = q(block[j]);
      const hi = q(block[16 + j]);
      out[b * 22 + 6 + j] = (lo & 15) | ((hi & 15) << 4);
      qh |= ((lo >> 4) << j) | ((hi >> 4) << (j + 16));
    }
    view.setUint32(b * 22 + 2, qh >>> 0, true);
  }
  return out;
}

/** Asymmetric 4-bit groups in the runtime's repacked GPTQ layout: integer zero z, y = (q - z) d. */
export function quantizeQ4z(values: Float32Array, group: number): Uint8Array {
  const bb = 4 + group / 2;
  const out = new Uint8Array((values.length / group) * bb);
  const view = new DataView(out.buffer);
  for (let b = 0; b < values.length / group; b++) {
    const block = values.subarray(b * group, (b + 1) * group);
    const min = Math.min(0, ...block);
    const max = Math.max(0, ...block);
    const d = (max - min) / 15 || 1;
    const z = Math.min(15, Math.max(0, Math.round(-min / d)));
    view.setUint16(b * bb, f32ToF16Bits(d), true);
    view.setUint16(b * bb + 2, f32ToF16Bits(z), true);
    const q = (x: number) => Math.min(15, Math.max(0, Math.round(x / d) + z));
    for (let j = 0; j < group / 2; j++) out[b * bb + 4 + j] = q(block[j]) | (q(block[group / 2 + j]) << 4);
  }
  return out;
}

/**
 * Random but valid K-quant blocks (llama.cpp Q4_K / Q6_K layouts): random quants and packed scales,
 * small finite f16 super-block scales. There is no K-quant quantizer here: tests compare the kernels
 * with the float64 decode of these very bytes.
 */
/** Block types the tests fill with random but valid blocks (no quantizer here). */
export type KQuantDtype = 'q2_k' | 'q3_k' | 'q4_k' | 'q5_k' | 'q6_k' | 'iq4_nl' | 'iq4_xs';

/** Where each K-quant keeps its f16 super-block scale(s), and a range that keeps values near unit scale. */
const K_SCALES: Record<KQuantDtype, { at: number[]; lo: number; hi: number }> = {
  q2_k: { at: [80, 82], lo: 0.01, hi: 0.05 },
  q3_k: { at: [108], lo: 0.0005, hi: 0.002 },
  q4_k: { at: [0, 2], lo: 0.002, hi: 0.01 },
  q5_k: { at: [0, 2], lo: 0.002, hi: 0.01 },
  q6_k: { at: [208], lo: 0.0005, hi: 0.002 },
  iq4_nl: { at: [0], lo: 0.002, hi: 0.01 },
  iq4_xs: { at: [0], lo: 0.00005, hi: 0.0002 },
};

export function randomKQuantBytes(dtype: KQuantDtype, rows: number, cols: number, rng: Rng): Uint8Array {
  const { blockElems, blockBytes } = DTYPE_LAYOUTS[dtype];
  if (cols % blockElems) throw new RangeError(`${dtype} rows hold multiples of ${blockElems} values, got ${cols}`);
  const out = new Uint8Array((rows * cols * blockBytes) / blockElems);
  for (let i = 0; i < out.length; i++) out[i] = rng.int(256);
  const view = new DataView(out.buffer);
  const { at, lo, hi } = K_SCALES[dtype];
  for (let b = 0; b < out.length; b += blockBytes) {
    for (const o of at) view.setUint16(b + o, f32ToF16Bits(rng.uniform(lo, hi)), true);
    if (dtype === 'iq4_xs') {
      // Sub-block scales within 3x of each other (6-bit codes 40..55, multipliers 8..23), as a
      // quantizer picks them: uniform codes give 60x outliers no real file has.
      let high = 0;
      for (let ib = 0; ib < 8; ib++) {
        const ls = 40 + rng.int(16);
        out[b + 4 + (ib >> 1)] = (out[b + 4 + (ib >> 1)] & (ib & 1 ? 0x0f : 0xf0)) | ((ls & 15) << (4 * (ib & 1)));
        high |= (ls >> 4) << (2 * ib);
      }
      view.setUint16(b + 2, high, true);
    }
  }
  return out;
}
