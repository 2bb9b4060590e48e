import { bf16BitsToF32, f32ToBf16, f32ToE4M3, f32ToF16, f32ToF16Bits, f16BitsToF32, BNB_4BIT_VALUES } from '../../src/formats/numeric.ts';
import type { SafetensorsWriteTensor } from '../../src/formats/safetensors-writer.ts';
import type { AffineBits, AffineGroup, Bnb4BitCode } from '../../src/formats/dtypes.ts';
import { bnb4BitBlocks, nearestLevel } from './encode-weights.ts';
import { Rng } from './random.ts';
import type { TestModel } from './test-model.ts';

/**
 * Quantized Hugging Face checkpoints as the tools that publish them write them, packed the way their
 * Python code packs (formats.md 5.3-5.7), so the runtime's unpacking is checked against the writers'
 * layouts rather than against itself:
 * - 'fp8-block': DeepSeek-V3 FP8, 128x128 blocks, F32 weight_scale_inv;
 * - 'fp8-dynamic': compressed-tensors FP8 per output channel (RedHatAI "-FP8-dynamic"), BF16 scales,
 *   activations rounded per token; layer 0's down_proj left in BF16 by its `ignore` list, as
 *   llm-compressor recipes leave sensitive layers;
 * - 'gptq': AutoGPTQ 4-bit, group 128, symmetric, g_idx in order;
 * - 'gptq-act': AutoGPTQ 4-bit, group 32, asymmetric, act-order (desc_act) g_idx;
 * - 'gptq-int8': AutoGPTQ 8-bit, group 128, symmetric (the "GPTQ-Int8" uploads);
 * - 'awq': AutoAWQ GEMM 4-bit, group 64, zero points;
 * - 'w4a16': compressed-tensors pack-quantized INT4, group 128, symmetric, BF16 scales;
 * - 'w8a16': compressed-tensors pack-quantized INT8, a scale per output channel, BF16 scales;
 * - 'bnb-nf4': bitsandbytes 4-bit NF4 with double quantization (transformers' load_in_4bit, unsloth's
 *   "bnb-4bit" uploads), layer 1's down_proj left in BF16 as unsloth's llm_int8_skip_modules leave some;
 * - 'bnb-fp4': bitsandbytes 4-bit FP4 (transformers' default 4-bit type), absmax in F32 (no double
 *   quantization, transformers' default), the same module left in BF16;
 * - 'bnb-int8': bitsandbytes LLM.int8 (transformers' load_in_8bit), the same module left in BF16, an
 *   outlier threshold of 2 (transformers' default is 6: the test model's activations seldom reach it);
 * - 'w8a8-int8': compressed-tensors INT8 per output channel (RedHatAI "quantized.w8a8"), BF16 scales,
 *   activations rounded to INT8 per token; layer 0's down_proj left in BF16 by its `ignore` list;
 * - 'mlx-4bit': MLX affine 4-bit, groups of 64, BF16 scales and biases (mlx-lm's convert -q), the
 *   embedding and LM head quantized too; a mixed recipe's exceptions: layer 0's down_proj 8-bit in
 *   groups of 32, its q_proj 6-bit in groups of 32, layer 1's gate_proj 3-bit in groups of 64, its
 *   down_proj 5-bit in groups of 128, its o_proj left in BF16.
 * Weights are rounded to nearest (no GPTQ error correction: the layouts are the point).
 */
const CHECKPOINT_QUANTS = ['fp8-block', 'fp8-dynamic', 'w8a8-int8', 'gptq', 'gptq-act', 'gptq-int8', 'awq', 'w4a16', 'w8a16', 'bnb-nf4', 'bnb-fp4', 'bnb-int8', 'mlx-4bit'] as const;
export type CheckpointQuant = (typeof CHECKPOINT_QUANTS)[number];

export function isCheckpointQuant(s: string): s is CheckpointQuant {
  return (CHECKPOINT_QUANTS as readonly string[]).includes(s);
}

const LINEAR = /\.(q|k|v|o|gate|up|down)_proj\.weight$/;
const FP8_DYNAMIC_IGNORED = /^model\.layers\.0\.mlp\.down_proj\.weight$/;
const BNB_SKIPPED = /^model\.layers\.1\.mlp\.down_proj\.weight$/;
const MLX_QUANTIZED = /(\.(q|k|v|o|gate|up|down)_proj|embed_tokens|lm_head)\.weight$/;
/** The mixed recipe of the 'mlx-4bit' test model: module path -> its own settings, or false for none. */
const MLX_LAYERS: Record<string, { group_size: AffineGroup; bits: AffineBits } | false> = {
  'model.layers.0.mlp.down_proj': { group_size: 32, bits: 8 },
  'model.layers.1.self_attn.o_proj': false,
  // As mlx-lm's mixed_3_6 / mixed_4_6 recipes write them: widths whose values cross word boundaries.
  'model.layers.0.self_attn.q_proj': { group_size: 32, bits: 6 },
  'model.layers.1.mlp.gate_proj': { group_size: 64, bits: 3 },
  'model.layers.1.mlp.down_proj': { group_size: 128, bits: 5 },
};

export function quantizedCheckpoint(m: TestModel, kind: CheckpointQuant): { entries: SafetensorsWriteTensor[]; quantizationConfig: Record<string, unknown> } {
  const fp8 = kind.startsWith('fp8') || kind === 'w8a8-int8' || kind === 'w4a16' || kind.startsWith('bnb') || kind === 'mlx-4bit';
  const plain = (name: string, shape: number[], values: Float32Array): SafetensorsWriteTensor =>
    fp8 ? { name, dtype: 'BF16', shape, data: bytes(f32ToBf16(values)) } : { name, dtype: 'F16', shape, data: bytes(f32ToF16(values)) };
  const entries: SafetensorsWriteTensor[] = [];
  const rng = new Rng(4242);
  for (const [name, t] of m.tensors) {
    if (kind === 'mlx-4bit') {
      const own = MLX_LAYERS[name.slice(0, -'.weight'.length)];
      if (!MLX_QUANTIZED.test(name) || own === false) entries.push(plain(name, t.shape, t.values));
      else entries.push(...mlxAffine(name.slice(0, -'.weight'.length), t.values, t.shape[0], t.shape[1], own ? own.bits : 4, own ? own.group_size : 64));
      continue;
    }
    if (!LINEAR.test(name) || ((kind === 'fp8-dynamic' || kind === 'w8a8-int8') && FP8_DYNAMIC_IGNORED.test(name)) || (kind.startsWith('bnb') && BNB_SKIPPED.test(name))) {
      entries.push(plain(name, t.shape, t.values));
      continue;
    }
    const prefix = name.slice(0, -'.weight'.length);
    const [out, inp] = t.shape;
    switch (kind) {
      case 'fp8-block':
        entries.push(...fp8Block(prefix, t.values, out, inp));
        break;
      case 'fp8-dynamic':
        entries.push(...channel8(prefix, t.values, out, inp, 'e4m3'));
        break;
      case 'w8a8-int8':
        entries.push(...channel8(prefix, t.values, out, inp, 'int8'));
        break;
      case 'gptq':
        entries.push(...gptq(prefix, t.values, out, inp, 128, true, null));
        break;
      case 'gptq-act':
        entries.push(...gptq(prefix, t.values, out, inp, 32, false, shuffled(inp, rng)));
        break;
      case 'awq':
        entries.push(...awq(prefix, t.values, out, inp, 64));
        break;
      case 'w4a16':
        entries.push(...packQuantized(prefix, t.values, out, inp, 128));
        break;
      case 'gptq-int8':
        entries.push(...gptq(prefix, t.values, out, inp, 128, true, null, 8));
        break;
      case 'w8a16':
        entries.push(...packQuantized(prefix, t.values, out, inp, inp, 8));
        break;
      case 'bnb-nf4':
        entries.push(...bnb4Bit(prefix, t.values, out, inp, 'nf4', true));
        break;
      case 'bnb-fp4':
        entries.push(...bnb4Bit(prefix, t.values, out, inp, 'fp4', false));
        break;
      case 'bnb-int8':
        entries.push(...bnbInt8(prefix, t.values, out, inp));
        break;
    }
  }
  return { entries, quantizationConfig: CONFIGS[kind] };
}

/** How the W8A8 formats round a Linear's input: dynamically, per token. */
const W8A8_INPUTS: Record<string, Record<string, unknown>> = {
  'float-quantized': { num_bits: 8, type: 'float', strategy: 'token', symmetric: true, dynamic: true },
  'int-quantized': { num_bits: 8, type: 'int', strategy: 'token', symmetric: true, dynamic: true },
};

const CONFIGS: Record<CheckpointQuant, Record<string, unknown>> = {
  'fp8-block': { activation_scheme: 'dynamic', fmt: 'e4m3', quant_method: 'fp8', weight_block_size: [128, 128] },
  'fp8-dynamic': {
    ...ctConfig('float-quantized', { num_bits: 8, type: 'float', strategy: 'channel', symmetric: true, dynamic: false, group_size: null }),
    ignore: ['lm_head', 're:.*layers\\.0\\.mlp\\.down_proj$'],
  },
  'w8a8-int8': {
    ...ctConfig('int-quantized', { num_bits: 8, type: 'int', strategy: 'channel', symmetric: true, dynamic: false, group_size: null }),
    ignore: ['lm_head', 're:.*layers\\.0\\.mlp\\.down_proj$'],
  },
  gptq: { bits: 4, group_size: 128, damp_percent: 0.01, desc_act: false, sym: true, true_sequential: true, model_name_or_path: null, model_file_base_name: 'model', quant_method: 'gptq', checkpoint_format: 'gptq' },
  'gptq-act': { bits: 4, group_size: 32, damp_percent: 0.01, desc_act: true, sym: false, true_sequential: true, quant_method: 'gptq', checkpoint_format: 'gptq' },
  awq: { bits: 4, group_size: 64, modules_to_not_convert: null, quant_method: 'awq', version: 'gemm', zero_point: true },
  w4a16: ctConfig('pack-quantized', { num_bits: 4, type: 'int', strategy: 'group', symmetric: true, dynamic: false, group_size: 128 }),
  'gptq-int8': { bits: 8, group_size: 128, damp_percent: 0.01, desc_act: false, sym: true, true_sequential: true, quant_method: 'gptq', checkpoint_format: 'gptq' },
  w8a16: ctConfig('pack-quantized', { num_bits: 8, type: 'int', strategy: 'channel', symmetric: true, dynamic: false, group_size: null }),
  'mlx-4bit': { group_size: 64, bits: 4, ...MLX_LAYERS },
  'bnb-int8': {
    _load_in_4bit: false, _load_in_8bit: true, bnb_4bit_compute_dtype: 'float32', bnb_4bit_quant_storage: 'uint8', bnb_4bit_quant_type: 'fp4',
    bnb_4bit_use_double_quant: false, llm_int8_enable_fp32_cpu_offload: false, llm_int8_has_fp16_weight: false,
    llm_int8_skip_modules: ['lm_head', 'model.layers.1.mlp.down_proj'], llm_int8_threshold: 2.0, load_in_4bit: false, load_in_8bit: true, quant_method: 'bitsandbytes',
  },
  'bnb-nf4': {
    _load_in_4bit: true, _load_in_8bit: false, bnb_4bit_compute_dtype: 'bfloat16', bnb_4bit_quant_storage: 'uint8', bnb_4bit_quant_type: 'nf4',
    bnb_4bit_use_double_quant: true, llm_int8_enable_fp32_cpu_offload: false, llm_int8_has_fp16_weight: false,
    llm_int8_skip_modules: ['lm_head', 'model.layers.1.mlp.down_proj'], llm_int8_threshold: 6.0, load_in_4bit: true, load_in_8bit: false, quant_method: 'bitsandbytes',
  },
  'bnb-fp4': {
    _load_in_4bit: true, _load_in_8bit: false, bnb_4bit_compute_dtype: 'bfloat16', bnb_4bit_quant_storage: 'uint8', bnb_4bit_quant_type: 'fp4',
    bnb_4bit_use_double_quant: false, llm_int8_enable_fp32_cpu_offload: false, llm_int8_has_fp16_weight: false,
    llm_int8_skip_modules: ['lm_head', 'model.layers.1.mlp.down_proj'], llm_int8_threshold: 6.0, load_in_4bit: true, load_in_8bit: false, quant_method: 'bitsandbytes',
  },
};

function ctConfig(format: string, weights: Record<string, unknown>): Record<string, unknown> {
  return {
    quant_method: 'compressed-tensors',
    format,
    quantization_status: 'compressed',
    ignore: ['lm_head'],
    config_groups: { group_0: { targets: ['Linear'], weights, input_activations: W8A8_INPUTS[format] ?? null } },
  };
}

// ---- FP8 ----
/** DeepSeek's weight quantization: per 128x128 block s = max|w| / 448, fp8 = w / s, stored scale_inv = s. */
function fp8Block(prefix: string, w: Float32Array, out: number, inp: number): SafetensorsWriteTensor[] {
  const br = Math.ceil(out / 128);
  const bc = Math.ceil(inp / 128);
  const scale = new Float32Array(br * bc);
  for (let r = 0; r < out; r++) for (let c = 0; c < inp; c++) {
    const s = Math.floor(r / 128) * bc + Math.floor(c / 128);
    scale[s] = Math.max(scale[s], Math.abs(w[r * inp + c]) / 448);
  }
  const q = Uint8Array.from(w, (v, i) => f32ToE4M3(v / scale[Math.floor(i / inp / 128) * bc + Math.floor((i % inp) / 128)]));
  return [
    { name: `${prefix}.weight`, dtype: 'F8_E4M3', shape: [out, inp], data: q },
    { name: `${prefix}.weight_scale_inv`, dtype: 'F32', shape: [br, bc], data: bytes(scale) },
  ];
}

/**
 * compressed-tensors channel 8-bit weights: s[o] = max|w[o]| / (448 for FP8 E4M3, 127 for INT8), kept
 * in BF16; the codes quantized against the scale kept (E4M3 rounding, or round and clamp to [-128, 127]).
 */
function channel8(prefix: string, w: Float32Array, out: number, inp: number, code: 'e4m3' | 'int8'): SafetensorsWriteTensor[] {
  const bits = new Uint16Array(out);
  const q = new Uint8Array(out * inp);
  const encode = code === 'e4m3' ? f32ToE4M3 : (x: number) => Math.max(-128, Math.min(127, Math.round(x))) & 0xff;
  for (let o = 0; o < out; o++) {
    const row = w.subarray(o * inp, (o + 1) * inp);
    bits[o] = f32ToBf16([Math.max(...row.map(Math.abs)) / (code === 'e4m3' ? 448 : 127)])[0];
    const s = bf16BitsToF32(bits[o]);
    row.forEach((v, i) => (q[o * inp + i] = encode(v / s)));
  }
  return [
    { name: `${prefix}.weight`, dtype: code === 'e4m3' ? 'F8_E4M3' : 'I8', shape: [out, inp], data: q },
    { name: `${prefix}.weight_scale`, dtype: 'BF16', shape: [out, 1], data: bytes(bits) },
  ];
}


// ---- INT4 / INT8 with zero points ----
/** Per group: scale and integer zero as GPTQ's quantizer finds them (sym: zero 2^(bits-1), range +-max|w|). */
function groupParams(vals: number[], sym: boolean, bits: 4 | 8 = 4): { scale: number; zero: number } {
  let lo = Math.min(0, ...vals);
  let hi = Math.max(0, ...vals);
  if (sym) hi = Math.max(hi, -lo), lo = -hi;
  // Scales travel as f16: quantize with the value the file will hold.
  const scale = f16BitsToF32(f32ToF16Bits((hi - lo) / ((1 << bits) - 1) || 1));
  return { scale, zero: sym ? 1 << (bits - 1) : Math.round(-lo / scale) };
}

const clampBits = (x: number, bits: 4 | 8) => Math.min((1 << bits) - 1, Math.max(0, x));

/**
 * AutoGPTQ QuantLinear.pack: qweight along the input, qzeros (z - 1) along the output, 32 / bits
 * sequential codes a word.
 */
function gptq(prefix: string, w: Float32Array, out: number, inp: number, g: number, sym: boolean, perm: number[] | null, bits: 4 | 8 = 4): SafetensorsWriteTensor[] {
  const per = 32 / bits;
  const groups = inp / g;
  // Act-order: features are quantized in `perm` order, and g_idx[perm[j]] = j // g.
  const gIdx = Int32Array.from({ length: inp }, (_, i) => Math.floor(i / g));
  if (perm) perm.forEach((i, j) => (gIdx[i] = Math.floor(j / g)));
  const scales = new Float32Array(groups * out);
  const zeros = new Int32Array(groups * out);
  for (let o = 0; o < out; o++)
    for (let grp = 0; grp < groups; grp++) {
      const members = [...gIdx.keys()].filter((i) => gIdx[i] === grp).map((i) => w[o * inp + i]);
      const { scale, zero } = groupParams(members, sym, bits);
      scales[grp * out + o] = scale;
      // The "gptq" format stores z - 1: a zero of 0 would wrap (AutoGPTQ's known quirk).
      zeros[grp * out + o] = Math.max(1, zero);
    }
  const qweight = new Uint32Array((inp / per) * out);
  for (let i = 0; i < inp; i++)
    for (let o = 0; o < out; o++) {
      const grp = gIdx[i];
      const q = clampBits(Math.round(w[o * inp + i] / scales[grp * out + o]) + zeros[grp * out + o], bits);
      qweight[Math.floor(i / per) * out + o] |= q << (bits * (i % per));
    }
  const qzeros = new Uint32Array(groups * (out / per));
  for (let grp = 0; grp < groups; grp++)
    for (let o = 0; o < out; o++) qzeros[grp * (out / per) + Math.floor(o / per)] |= ((zeros[grp * out + o] - 1) & ((1 << bits) - 1)) << (bits * (o % per));
  return [
    { name: `${prefix}.qweight`, dtype: 'I32', shape: [inp / per, out], data: bytes(qweight) },
    { name: `${prefix}.qzeros`, dtype: 'I32', shape: [groups, out / per], data: bytes(qzeros) },
    { name: `${prefix}.scales`, dtype: 'F16', shape: [groups, out], data: bytes(f32ToF16(scales)) },
    { name: `${prefix}.g_idx`, dtype: 'I32', shape: [inp], data: bytes(gIdx) },
  ];
}

/** AutoAWQ WQLinear_GEMM.from_linear: [in, out / 8] words, column 8c + order[s] in nibble s. */
function awq(prefix: string, w: Float32Array, out: number, inp: number, g: number): SafetensorsWriteTensor[] {
  const order = [0, 2, 4, 6, 1, 3, 5, 7];
  const groups = inp / g;
  const scales = new Float32Array(groups * out);
  const zeros = new Int32Array(groups * out);
  for (let o = 0; o < out; o++)
    for (let grp = 0; grp < groups; grp++) {
      const { scale, zero } = groupParams(Array.from(w.subarray(o * inp + grp * g, o * inp + (grp + 1) * g)), false);
      scales[grp * out + o] = scale;
      zeros[grp * out + o] = zero;
    }
  const qweight = new Uint32Array(inp * (out / 8));
  const qzeros = new Uint32Array(groups * (out / 8));
  for (let c = 0; c < out / 8; c++)
    for (let s = 0; s < 8; s++) {
      const o = 8 * c + order[s];
      for (let i = 0; i < inp; i++) {
        const grp = Math.floor(i / g);
        qweight[i * (out / 8) + c] |= clampBits(Math.round(w[o * inp + i] / scales[grp * out + o]) + zeros[grp * out + o], 4) << (4 * s);
      }
      for (let grp = 0; grp < groups; grp++) qzeros[grp * (out / 8) + c] |= zeros[grp * out + o] << (4 * s);
    }
  return [
    { name: `${prefix}.qweight`, dtype: 'I32', shape: [inp, out / 8], data: bytes(qweight) },
    { name: `${prefix}.qzeros`, dtype: 'I32', shape: [groups, out / 8], data: bytes(qzeros) },
    { name: `${prefix}.scales`, dtype: 'F16', shape: [groups, out], data: bytes(f32ToF16(scales)) },
  ];
}

/**
 * compressed-tensors pack_to_int32: values q in [-2^(bits-1), 2^(bits-1)) stored as q + 2^(bits-1),
 * 32 / bits per word along the input; scale max|w| / (2^(bits-1) - 0.5) per group (g = inp: channel).
 */
function packQuantized(prefix: string, w: Float32Array, out: number, inp: number, g: number, bits: 4 | 8 = 4): SafetensorsWriteTensor[] {
  const per = 32 / bits;
  const half = 1 << (bits - 1);
  const words = Math.ceil(inp / per);
  const groups = inp / g;
  const scaleBits = new Uint16Array(out * groups);
  const packed = new Uint32Array(out * words);
  for (let o = 0; o < out; o++)
    for (let grp = 0; grp < groups; grp++) {
      const vals = w.subarray(o * inp + grp * g, o * inp + (grp + 1) * g);
      scaleBits[o * groups + grp] = f32ToBf16([Math.max(...vals.map(Math.abs)) / (half - 0.5) || 1])[0];
      const s = new Float32Array(new Uint32Array([scaleBits[o * groups + grp] << 16]).buffer)[0];
      vals.forEach((v, j) => {
        const i = grp * g + j;
        const q = Math.min(half - 1, Math.max(-half, Math.round(v / s)));
        packed[o * words + Math.floor(i / per)] |= (q + half) << (bits * (i % per));
      });
    }
  return [
    { name: `${prefix}.weight_packed`, dtype: 'I32', shape: [out, words], data: bytes(packed) },
    { name: `${prefix}.weight_scale`, dtype: 'BF16', shape: [out, groups], data: bytes(scaleBits) },
    { name: `${prefix}.weight_shape`, dtype: 'I64', shape: [2], data: bytes(new BigInt64Array([BigInt(out), BigInt(inp)])) },
  ];
}

function shuffled(n: number, rng: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function bytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

// ---- bitsandbytes ----
/**
 * bitsandbytes int8_vectorwise_quant as Linear8bitLt saves it: per row SCB = max|w| (F32) and codes
 * round(w 127 / SCB) (I8), and a 0-dimensional U8 weight_format 0 ("row").
 */
function bnbInt8(prefix: string, w: Float32Array, out: number, inp: number): SafetensorsWriteTensor[] {
  const scb = Float32Array.from({ length: out }, (_, o) => Math.max(...w.subarray(o * inp, (o + 1) * inp).map(Math.abs)));
  const codes = Int8Array.from(w, (v, i) => Math.round((v * 127) / scb[Math.floor(i / inp)]));
  return [
    { name: `${prefix}.weight`, dtype: 'I8', shape: [out, inp], data: bytes(codes) },
    { name: `${prefix}.SCB`, dtype: 'F32', shape: [out], data: bytes(scb) },
    { name: `${prefix}.weight_format`, dtype: 'U8', shape: [], data: new Uint8Array([0]) },
  ];
}

/**
 * bitsandbytes quantize_4bit (nf4 or fp4, blocksize 64) as Linear4bit saves it: per 64 values of the
 * flattened matrix absmax = max|w| and the code of w / absmax, two a byte (first high; bnb4BitBlocks).
 * With compress_statistics (`double`), the absmaxes less their mean (nested_offset), per 256 blocks
 * scaled by their max (nested_absmax) and coded to the nearest of 256 levels (nested_quant_map;
 * bitsandbytes uses its dynamic map, any map is the file's to choose); without, the absmaxes in F32.
 * The JSON quant state rides in a U8 tensor.
 */
function bnb4Bit(prefix: string, w: Float32Array, out: number, inp: number, type: Bnb4BitCode, double: boolean): SafetensorsWriteTensor[] {
  const n = out * inp;
  const blocks = n / 64;
  const { absmax, packed } = bnb4BitBlocks(w, type);
  const common = { quant_type: type, blocksize: 64, dtype: 'bfloat16', shape: [out, inp] };
  const quantState = (state: Record<string, unknown>): SafetensorsWriteTensor[] => {
    const json = new TextEncoder().encode(JSON.stringify(state));
    return [
      { name: `${prefix}.weight.quant_map`, dtype: 'F32', shape: [16], data: bytes(Float32Array.from(BNB_4BIT_VALUES[type])) },
      { name: `${prefix}.weight.quant_state.bitsandbytes__${type}`, dtype: 'U8', shape: [json.length], data: json },
    ];
  };
  const weight: SafetensorsWriteTensor = { name: `${prefix}.weight`, dtype: 'U8', shape: [n / 2, 1], data: packed };
  if (!double) return [weight, { name: `${prefix}.weight.absmax`, dtype: 'F32', shape: [blocks], data: bytes(absmax) }, ...quantState(common)];
  const offset = Math.fround(absmax.reduce((a, b) => a + b, 0) / blocks);
  const code = Float32Array.from({ length: 256 }, (_, i) => -1 + (2 * i) / 255);
  const groups = Math.ceil(blocks / 256);
  const nested = Float32Array.from({ length: groups }, (_, g) => Math.max(...absmax.subarray(g * 256, (g + 1) * 256).map((a) => Math.abs(a - offset))));
  const codes = Uint8Array.from(absmax, (a, b) => nearestLevel(code, (a - offset) / nested[b >> 8]));
  return [
    weight,
    { name: `${prefix}.weight.absmax`, dtype: 'U8', shape: [blocks], data: codes },
    { name: `${prefix}.weight.nested_absmax`, dtype: 'F32', shape: [groups], data: bytes(nested) },
    { name: `${prefix}.weight.nested_quant_map`, dtype: 'F32', shape: [256], data: bytes(code) },
    ...quantState({ ...common, nested_blocksize: 256, nested_dtype: 'float32', nested_offset: offset }),
  ];
}

// ---- MLX ----
/**
 * MLX's affine layout: per group of g inputs a scale and bias (kept in BF16, quantized against the
 * values kept), q = round((w - bias) / scale); along the input one bit stream in U32 words, low bits
 * first (3-, 5- and 6-bit values cross words). Here
 * scale = (max - min) / (2^bits - 1) and bias = min; mlx.core.quantize anchors the bias at the edge of
 * larger magnitude instead (its scales may be negative), which decodes the same way.
 */
function mlxAffine(prefix: string, w: Float32Array, out: number, inp: number, bits: AffineBits, g: number): SafetensorsWriteTensor[] {
  const groups = inp / g;
  const top = (1 << bits) - 1;
  const bf = (x: number) => bf16BitsToF32(f32ToBf16([x])[0]);
  const scales = new Float32Array(out * groups);
  const biases = new Float32Array(out * groups);
  const words = new Uint32Array((out * inp * bits) / 32);
  for (let o = 0; o < out; o++)
    for (let grp = 0; grp < groups; grp++) {
      const vals = w.subarray(o * inp + grp * g, o * inp + (grp + 1) * g);
      const bias = bf(Math.min(...vals));
      const scale = bf((Math.max(...vals) - bias) / top) || bf(1e-8);
      scales[o * groups + grp] = scale;
      biases[o * groups + grp] = bias;
      vals.forEach((v, j) => {
        const bit = (o * inp + grp * g + j) * bits;
        const q = Math.min(top, Math.max(0, Math.round((v - bias) / scale)));
        words[bit >> 5] |= q << (bit & 31);
        if ((bit & 31) + bits > 32) words[(bit >> 5) + 1] |= q >>> (32 - (bit & 31));
      });
    }
  return [
    { name: `${prefix}.weight`, dtype: 'U32', shape: [out, (inp * bits) / 32], data: bytes(words) },
    { name: `${prefix}.scales`, dtype: 'BF16', shape: [out, groups], data: bytes(f32ToBf16(scales)) },
    { name: `${prefix}.biases`, dtype: 'BF16', shape: [out, groups], data: bytes(f32ToBf16(biases)) },
  ];
}
