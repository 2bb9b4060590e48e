import { AFFINE_BITS, AFFINE_GROUPS, type AffineBits, type AffineGroup } from '../dtypes.ts';
import { FormatError } from '../errors.ts';

/**
 * How a Hugging Face checkpoint's Linear weights are quantized, from config.json's
 * `quantization_config`. Only what the runtime decodes exactly is accepted; every other method or
 * setting is refused by name, never computed as garbage.
 */
export type QuantScheme =
  /** DeepSeek-V3 style: F8_E4M3 `weight` + f32 `weight_scale_inv` per [blockRows x blockCols] block. */
  | { method: 'fp8-block'; blockRows: number; blockCols: number }
  /**
   * F8_E4M3 `weight` + `weight_scale` (W = fp8 * scale) per tensor, channel or block: compressed-tensors
   * `float-quantized`, and AutoFP8 / vLLM's per-tensor `quant_method: fp8` (no weight_block_size).
   */
  | { method: 'fp8-scaled'; strategy: 'tensor' | 'channel' | 'block'; blockRows: number; blockCols: number }
  /** AutoGPTQ / GPTQModel: `qweight` packed along the input, `qzeros` stored minus `zeroOffset`. */
  | { method: 'gptq'; bits: 4 | 8; groupSize: number; zeroOffset: 0 | 1 }
  /** AutoAWQ GEMM: `qweight` packed along the output in AWQ's interleaved nibble order. */
  | { method: 'awq'; groupSize: number }
  /** compressed-tensors `int-quantized` symmetric INT8: I8 `weight` + `weight_scale` per tensor or channel. */
  | { method: 'int8-scaled'; strategy: 'tensor' | 'channel' }
  /** compressed-tensors `pack-quantized` symmetric INT4 / INT8 (W4A16, W8A16): `weight_packed` + `weight_scale`. */
  | { method: 'ct-packed'; bits: 4 | 8; groupSize: number }
  /**
   * bitsandbytes 4-bit NF4 or FP4 (transformers' load_in_4bit): packed `weight` + `weight.absmax` and its
   * quant state, whose name and JSON say which (as transformers loads them, whatever the config says).
   */
  | { method: 'bnb-4bit' }
  /** bitsandbytes LLM.int8 (transformers' load_in_8bit): I8 `weight` + `SCB`, each row's max|w|. */
  | { method: 'bnb-int8' }
  /**
   * MLX affine (mlx-lm, mlx-community uploads): U32-packed `weight` + `scales` + `biases` per group; a
   * default and per-module settings (false: left unquantized).
   */
  | ({ method: 'mlx'; layers: Record<string, MlxLayer | false> } & MlxLayer);

export interface MlxLayer {
  bits: AffineBits;
  groupSize: AffineGroup;
}

type Json = Record<string, unknown>;

const SUPPORTED = 'supported: fp8 (DeepSeek block FP8, per-tensor FP8), compressed-tensors FP8, INT8 and 4- and 8-bit pack-quantized, GPTQ 4- and 8-bit, AWQ 4-bit GEMM, bitsandbytes 4-bit NF4 and FP4 and LLM.int8, MLX 2- to 8-bit';

/** null for an unquantized checkpoint. `file` names config.json in errors. */
export function quantSchemeOf(config: Json, file = 'config.json'): QuantScheme | null {
  const mlx = mlxQuantization(config, file);
  if (mlx) return mlx;
  const q = config.quantization_config as Json | undefined;
  if (q === undefined || q === null) return null;
  const fail = (problem: string): never => {
    throw new FormatError(file, `quantization_config: ${problem}`);
  };
  if (typeof q !== 'object' || Array.isArray(q)) fail('is not an object');
  switch (methodOf(q)) {
    case 'fp8': {
      if (q.fmt !== undefined && q.fmt !== 'e4m3') fail(`FP8 format "${String(q.fmt)}" is not supported (only e4m3)`);
      const block = q.weight_block_size;
      // Without blocks: one weight_scale per tensor (AutoFP8, vLLM); input_scale is for FP8 activations.
      if (block === undefined || block === null) return { method: 'fp8-scaled', strategy: 'tensor', blockRows: 0, blockCols: 0 };
      if (!isPair(block)) fail(`FP8 weight_block_size ${JSON.stringify(block)} is not [rows, cols]`);
      const [blockRows, blockCols] = block as [number, number];
      if (blockCols % 128) fail(`FP8 blocks ${blockRows}x${blockCols} are not supported: columns must come in multiples of 128`);
      return { method: 'fp8-block', blockRows, blockCols };
    }
    case 'gptq': {
      if (q.bits !== 4 && q.bits !== 8) fail(`GPTQ with ${String(q.bits)}-bit weights is not supported (4- and 8-bit)`);
      const fmt = q.checkpoint_format ?? 'gptq';
      if (fmt !== 'gptq' && fmt !== 'gptq_v2') fail(`GPTQ checkpoint_format "${String(fmt)}" is not supported (gptq, gptq_v2)`);
      return { method: 'gptq', bits: q.bits as 4 | 8, groupSize: groupSize(q.group_size, fail), zeroOffset: fmt === 'gptq' ? 1 : 0 };
    }
    case 'awq': {
      if (q.bits !== undefined && q.bits !== 4 && q.w_bit !== 4) fail(`AWQ with ${String(q.bits)}-bit weights is not supported (only 4-bit)`);
      const version = String(q.version ?? 'gemm').toLowerCase();
      if (version !== 'gemm') fail(`AWQ version "${version}" is not supported (only gemm; gemv and marlin pack differently)`);
      if (q.zero_point === false) fail('AWQ without zero points is not supported');
      return { method: 'awq', groupSize: groupSize(q.group_size ?? q.q_group_size, fail) };
    }
    case 'compressed-tensors':
      return compressedTensors(q, fail);
    case 'bitsandbytes': {
      if (bnbInt8(q)) {
        if (q.llm_int8_has_fp16_weight === true) fail('bitsandbytes 8-bit with llm_int8_has_fp16_weight (16-bit weights kept for training) is not supported');
        const t = q.llm_int8_threshold;
        if (t !== undefined && !(typeof t === 'number' && Number.isFinite(t) && t >= 0)) fail(`llm_int8_threshold ${JSON.stringify(t)} is not a number of 0 or more`);
        return { method: 'bnb-int8' };
      }
      if (q.load_in_4bit !== true && q._load_in_4bit !== true) fail('bitsandbytes without load_in_4bit or load_in_8bit is not supported');
      // Each Linear's quant state says NF4 or FP4 (the published checkpoints, unsloth's bnb-4bit, are
      // NF4; transformers' default is FP4); a config that asks for another type is refused here.
      const type = q.bnb_4bit_quant_type;
      if (type !== undefined && type !== 'nf4' && type !== 'fp4') fail(`bitsandbytes 4-bit type ${JSON.stringify(type)} is not supported (nf4 or fp4)`);
      const storage = q.bnb_4bit_quant_storage ?? 'uint8';
      if (storage !== 'uint8') fail(`bitsandbytes 4-bit weights stored as ${String(storage)} are not supported (uint8 only)`);
      return { method: 'bnb-4bit' };
    }
    default:
      return fail(`quant_method "${String(q.quant_method)}" is not supported (${SUPPORTED})`);
  }
}

/**
 * quant_method, or bitsandbytes for a config that asks for load_in_4bit / load_in_8bit without one
 * (older saves), as transformers reads it.
 */
function methodOf(q: Json): unknown {
  const bnb = [q.load_in_4bit, q._load_in_4bit, q.load_in_8bit, q._load_in_8bit].includes(true);
  return q.quant_method ?? (bnb ? 'bitsandbytes' : undefined);
}

function bnbInt8(q: Json): boolean {
  return q.load_in_8bit === true || q._load_in_8bit === true;
}

/**
 * How a W8A8 checkpoint rounds each quantized Linear's input as it runs: to FP8 E4M3 (FP8
 * checkpoints, as transformers and vLLM run them) or INT8 (as vLLM runs INT8 ones), dynamically, per
 * token (`group` 0) or per `group` values of a token. Checkpoints with static input scales or
 * per-tensor dynamic ones (whose scale depends on the whole batch) are run weight-only:
 * docs/quantization.md.
 */
export interface ActivationRounding {
  format: 'e4m3' | 'int8';
  group: number;
  /**
   * INT8 with outliers (bitsandbytes LLM.int8): values of at least this magnitude keep their value
   * (bitsandbytes multiplies their columns in 16 bits) and take no part in the row's max|x|.
   */
  threshold?: number;
}

/** The activation rounding config.json's quantization_config asks for; null: weights only. */
export function activationRoundingOf(config: Json): ActivationRounding | null {
  const q = config.quantization_config as Json | undefined | null;
  if (!q || typeof q !== 'object') return null;
  if (methodOf(q) === 'bitsandbytes' && bnbInt8(q)) {
    // MatMul8bitLt: each row (token) to INT8 but for its outliers; threshold 0: no outliers. A
    // threshold that is not a number of 0 or more was refused with the scheme (quantSchemeOf).
    const t = (q.llm_int8_threshold as number | undefined) ?? 6;
    return t > 0 ? { format: 'int8', group: 0, threshold: t } : { format: 'int8', group: 0 };
  }
  if (q.quant_method === 'fp8') {
    // DeepSeek block FP8: activations in 1 x block-columns groups (transformers' act_quant, vLLM).
    const block = q.weight_block_size;
    return q.activation_scheme === 'dynamic' && isPair(block) ? { format: 'e4m3', group: (block as number[])[1] } : null;
  }
  if (q.quant_method !== 'compressed-tensors') return null;
  const groups = Object.values((q.config_groups ?? {}) as Record<string, Json>);
  const a = groups.length === 1 ? (groups[0].input_activations as Json | null | undefined) : null;
  if (!a || a.num_bits !== 8 || a.dynamic !== true) return null;
  if (a.type === 'int') {
    // vLLM's dynamic INT8: symmetric, per token.
    return a.symmetric !== false && a.strategy === 'token' ? { format: 'int8', group: 0 } : null;
  }
  if (a.type !== 'float') return null;
  if (a.strategy === 'token') return { format: 'e4m3', group: 0 };
  if (a.strategy === 'group' && typeof a.group_size === 'number' && Number.isInteger(a.group_size) && a.group_size > 0) return { format: 'e4m3', group: a.group_size };
  return null;
}

/**
 * Older AutoGPTQ and AutoAWQ folders keep their settings in a file beside config.json, not in its
 * quantization_config: the method each file implies (its own quant_method, if any, wins). They are
 * only looked for where the tensors are GPTQ / AWQ's (`.qweight`): a leftover file beside a float
 * checkpoint means nothing, as in transformers.
 */
export const SIDE_QUANT_FILES = { 'quantize_config.json': 'gptq', 'quant_config.json': 'awq' } as const;

/** Whether a folder with these tensors may keep its quantization settings in a side file. */
function mayHaveSideQuantFile(tensorNames: Iterable<string>): boolean {
  for (const name of tensorNames) if (name.endsWith('.qweight')) return true;
  return false;
}

/** The folder's scheme: config.json's quantization_config, else a side file's; null when unquantized. */
export async function quantSchemeOfFolder(
  config: Json,
  tensorNames: Iterable<string>,
  readJson: (file: string) => Promise<Json | null>,
  label = (file: string) => file,
): Promise<QuantScheme | null> {
  const declared = (k: string) => config[k] !== undefined && config[k] !== null;
  if (declared('quantization_config') || declared('quantization')) return quantSchemeOf(config, label('config.json'));
  if (!mayHaveSideQuantFile(tensorNames)) return null;
  for (const [file, method] of Object.entries(SIDE_QUANT_FILES)) {
    const side = await readJson(file);
    if (side) return quantSchemeOf({ quantization_config: { quant_method: method, ...side } }, label(file));
  }
  return null;
}

function compressedTensors(q: Json, fail: (p: string) => never): QuantScheme {
  const groups = Object.values((q.config_groups ?? {}) as Record<string, Json>);
  if (groups.length !== 1) fail(`compressed-tensors with ${groups.length} config_groups is not supported (exactly one)`);
  const w = (groups[0].weights ?? {}) as Json;
  const format = q.format;
  const bits = w.num_bits;
  const strategy = String(w.strategy);
  if (w.symmetric === false) fail('asymmetric compressed-tensors weights (weight_zero_point) are not supported');
  if (format === 'float-quantized' || (format === 'naive-quantized' && w.type === 'float')) {
    if (bits !== 8 || w.type !== 'float') fail(`compressed-tensors float weights of ${String(bits)} bits are not supported (FP8 E4M3 only)`);
    if (strategy === 'block') {
      const b = w.block_structure;
      if (!isPair(b)) fail('block strategy without block_structure [rows, cols]');
      const [blockRows, blockCols] = b as [number, number];
      if (blockCols % 128) fail(`FP8 blocks ${blockRows}x${blockCols} are not supported: columns must come in multiples of 128`);
      return { method: 'fp8-scaled', strategy, blockRows, blockCols };
    }
    if (strategy !== 'tensor' && strategy !== 'channel') fail(`compressed-tensors FP8 strategy "${strategy}" is not supported (tensor, channel, block)`);
    return { method: 'fp8-scaled', strategy, blockRows: 0, blockCols: 0 };
  }
  if (format === 'int-quantized' || (format === 'naive-quantized' && w.type === 'int')) {
    if (bits !== 8 || w.type !== 'int') fail(`compressed-tensors int-quantized ${String(w.type)} weights of ${String(bits)} bits are not supported (8-bit int only)`);
    if (strategy !== 'tensor' && strategy !== 'channel') fail(`compressed-tensors int-quantized (W8A8) INT8 strategy "${strategy}" is not supported (tensor, channel)`);
    return { method: 'int8-scaled', strategy };
  }
  if (format === 'pack-quantized') {
    if ((bits !== 4 && bits !== 8) || w.type !== 'int') fail(`compressed-tensors pack-quantized ${String(w.type)} weights of ${String(bits)} bits are not supported (4- and 8-bit int)`);
    if (strategy === 'channel') return { method: 'ct-packed', bits, groupSize: -1 };
    if (strategy !== 'group') fail(`compressed-tensors INT${bits} strategy "${strategy}" is not supported (group, channel)`);
    return { method: 'ct-packed', bits, groupSize: groupSize(w.group_size, fail) };
  }
  return fail(`compressed-tensors format "${String(format)}" is not supported (float-quantized FP8, int-quantized INT8, pack-quantized INT4 and INT8)`);
}

/**
 * mlx-lm's settings: config.json's `quantization` (newer versions repeat it as a `quantization_config`
 * with no quant_method): group_size and bits, and per module path its own settings or false.
 */
function mlxQuantization(config: Json, file: string): QuantScheme | null {
  const qc = config.quantization_config as Json | undefined | null;
  const q = [config.quantization, qc && typeof qc === 'object' && qc.quant_method === undefined ? qc : undefined].find(looksLikeMlx) as Json | undefined;
  if (q === undefined) return null;
  const fail = (problem: string): never => {
    throw new FormatError(file, `quantization: ${problem}`);
  };
  if (typeof q !== 'object' || Array.isArray(q)) fail('is not an object');
  const layer = (v: Json, where: string): MlxLayer => {
    if (v.mode !== undefined && v.mode !== 'affine') fail(`${where}MLX mode "${String(v.mode)}" is not supported (affine only)`);
    if (!AFFINE_BITS.includes(v.bits as AffineBits)) fail(`${where}MLX ${String(v.bits)}-bit weights are not supported (${AFFINE_BITS.join(', ')} bits)`);
    if (!AFFINE_GROUPS.includes(v.group_size as AffineGroup)) fail(`${where}MLX group size ${String(v.group_size)} is not supported (${AFFINE_GROUPS.join(', ')})`);
    return { bits: v.bits as AffineBits, groupSize: v.group_size as AffineGroup };
  };
  const base = layer(q as Json, '');
  const layers: Record<string, MlxLayer | false> = {};
  for (const [key, v] of Object.entries(q as Json)) {
    if (v === false) layers[key] = false;
    else if (typeof v === 'object' && v !== null && !Array.isArray(v)) layers[key] = layer(v as Json, `${key}: `);
  }
  return { method: 'mlx', ...base, layers };
}

/**
 * mlx-lm's shape: numeric bits and group_size, perhaps a mode, and otherwise only module paths set to
 * their own settings or false. A quantization_config without quant_method but with other keys
 * (GPTQ's sym, desc_act: true ...) is not MLX's, and is refused as an unnamed method.
 */
function looksLikeMlx(q: unknown): boolean {
  if (typeof q !== 'object' || q === null || Array.isArray(q)) return false;
  const j = q as Json;
  if (typeof j.bits !== 'number' || typeof j.group_size !== 'number') return false;
  return Object.entries(j).every(([k, v]) => k === 'bits' || k === 'group_size' || k === 'mode' || v === false || (typeof v === 'object' && v !== null && !Array.isArray(v)));
}

function groupSize(v: unknown, fail: (p: string) => never): number {
  if (v === -1) return -1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v % 32) fail(`group size ${JSON.stringify(v)} is not supported (a multiple of 32, or -1 for one group per row)`);
  return v as number;
}

function isPair(v: unknown): boolean {
  return Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && x > 0);
}
