import type { GgmlDtype, WeightDtype } from './dtypes.ts';

/** ggml tensor types (ggml.h `enum ggml_type`): id -> name, block geometry, and the runtime dtype if computable. */
export interface GgmlType {
  name: string;
  blockElems: number;
  blockBytes: number;
  dtype?: WeightDtype;
}

/** Every ggml type a GGUF file may hold, by id; ids 4 and 5 (Q4_2, Q4_3) were dropped before GGUF existed. */
export const GGML_TYPES: Record<number, GgmlType> = {
  0: { name: 'F32', blockElems: 1, blockBytes: 4, dtype: 'f32' },
  1: { name: 'F16', blockElems: 1, blockBytes: 2, dtype: 'f16' },
  2: { name: 'Q4_0', blockElems: 32, blockBytes: 18, dtype: 'q4_0' },
  3: { name: 'Q4_1', blockElems: 32, blockBytes: 20, dtype: 'q4_1' },
  6: { name: 'Q5_0', blockElems: 32, blockBytes: 22, dtype: 'q5_0' },
  7: { name: 'Q5_1', blockElems: 32, blockBytes: 24, dtype: 'q5_1' },
  8: { name: 'Q8_0', blockElems: 32, blockBytes: 34, dtype: 'q8_0' },
  9: { name: 'Q8_1', blockElems: 32, blockBytes: 36 },
  10: { name: 'Q2_K', blockElems: 256, blockBytes: 84, dtype: 'q2_k' },
  11: { name: 'Q3_K', blockElems: 256, blockBytes: 110, dtype: 'q3_k' },
  12: { name: 'Q4_K', blockElems: 256, blockBytes: 144, dtype: 'q4_k' },
  13: { name: 'Q5_K', blockElems: 256, blockBytes: 176, dtype: 'q5_k' },
  14: { name: 'Q6_K', blockElems: 256, blockBytes: 210, dtype: 'q6_k' },
  15: { name: 'Q8_K', blockElems: 256, blockBytes: 292 },
  16: { name: 'IQ2_XXS', blockElems: 256, blockBytes: 66, dtype: 'iq2_xxs' },
  17: { name: 'IQ2_XS', blockElems: 256, blockBytes: 74, dtype: 'iq2_xs' },
  18: { name: 'IQ3_XXS', blockElems: 256, blockBytes: 98, dtype: 'iq3_xxs' },
  19: { name: 'IQ1_S', blockElems: 256, blockBytes: 50, dtype: 'iq1_s' },
  20: { name: 'IQ4_NL', blockElems: 32, blockBytes: 18, dtype: 'iq4_nl' },
  21: { name: 'IQ3_S', blockElems: 256, blockBytes: 110, dtype: 'iq3_s' },
  22: { name: 'IQ2_S', blockElems: 256, blockBytes: 82, dtype: 'iq2_s' },
  23: { name: 'IQ4_XS', blockElems: 256, blockBytes: 136, dtype: 'iq4_xs' },
  24: { name: 'I8', blockElems: 1, blockBytes: 1 },
  25: { name: 'I16', blockElems: 1, blockBytes: 2 },
  26: { name: 'I32', blockElems: 1, blockBytes: 4 },
  27: { name: 'I64', blockElems: 1, blockBytes: 8 },
  28: { name: 'F64', blockElems: 1, blockBytes: 8 },
  29: { name: 'IQ1_M', blockElems: 256, blockBytes: 56, dtype: 'iq1_m' },
  30: { name: 'BF16', blockElems: 1, blockBytes: 2, dtype: 'bf16' },
  // 31-33 and 36-38: Q4_0 / IQ4_NL blocks repacked for ARM, written by late-2024 llama.cpp, since removed.
  31: { name: 'Q4_0_4_4', blockElems: 32, blockBytes: 18 },
  32: { name: 'Q4_0_4_8', blockElems: 32, blockBytes: 18 },
  33: { name: 'Q4_0_8_8', blockElems: 32, blockBytes: 18 },
  34: { name: 'TQ1_0', blockElems: 256, blockBytes: 54 },
  35: { name: 'TQ2_0', blockElems: 256, blockBytes: 66 },
  36: { name: 'IQ4_NL_4_4', blockElems: 32, blockBytes: 18 },
  37: { name: 'IQ4_NL_4_8', blockElems: 32, blockBytes: 18 },
  38: { name: 'IQ4_NL_8_8', blockElems: 32, blockBytes: 18 },
  39: { name: 'MXFP4', blockElems: 32, blockBytes: 17 },
};

/** ggml type id of each runtime dtype. */
export const GGML_TYPE_ID: Record<GgmlDtype, number> = { f32: 0, f16: 1, q4_0: 2, q4_1: 3, q5_0: 6, q5_1: 7, q8_0: 8, bf16: 30, q2_k: 10, q3_k: 11, q4_k: 12, q5_k: 13, q6_k: 14, iq4_nl: 20, iq4_xs: 23,
  iq2_xxs: 16, iq2_xs: 17, iq3_xxs: 18, iq1_s: 19, iq3_s: 21, iq2_s: 22, iq1_m: 29 };

/** ggml type ids by ggml name, e.g. `GGML_TYPE.Q4_K === 12`. */
export const GGML_TYPE: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(GGML_TYPES).map(([id, t]) => [t.name, Number(id)]));
