import type { WeightDtype } from '../../src/formats/dtypes.ts';
import { f32ToBf16, f32ToF16, quantizeQ4_0, quantizeQ8_0 } from '../../src/formats/numeric.ts';

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
  }
}
