import type { WeightDtype } from '../../src/formats/dtypes.ts';
import { f32ToBf16, f32ToF16, f32ToF16Bits, quantizeQ4_0, quantizeQ8_0 } from '../../src/formats/numeric.ts';
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
    case 'q4_k':
    case 'q5_k':
    case 'q6_k':
      throw new RangeError(`no ${dtype} quantizer: use randomKQuantBytes for test data`);
  }
}

/**
 * Random but valid K-quant blocks (llama.cpp Q4_K / Q6_K layouts): random quants and packed scales,
 * small finite f16 super-block scales. There is no K-quant quantizer here: tests compare the kernels
 * with the float64 decode of these very bytes.
 */
export function randomKQuantBytes(dtype: 'q4_k' | 'q5_k' | 'q6_k', rows: number, cols: number, rng: Rng): Uint8Array {
  if (cols % 256) throw new RangeError(`${dtype} rows hold multiples of 256 values, got ${cols}`);
  const blockBytes = { q4_k: 144, q5_k: 176, q6_k: 210 }[dtype];
  const out = new Uint8Array((rows * cols * blockBytes) / 256);
  for (let i = 0; i < out.length; i++) out[i] = rng.int(256);
  const view = new DataView(out.buffer);
  for (let b = 0; b < out.length; b += blockBytes) {
    if (dtype !== 'q6_k') {
      view.setUint16(b, f32ToF16Bits(rng.uniform(0.002, 0.01)), true);
      view.setUint16(b + 2, f32ToF16Bits(rng.uniform(0.002, 0.01)), true);
    } else {
      view.setUint16(b + 208, f32ToF16Bits(rng.uniform(0.0005, 0.002)), true);
    }
  }
  return out;
}
