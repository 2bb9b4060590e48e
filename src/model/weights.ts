import { isWeightDtype, rowBytes, type WeightDtype } from '../formats/dtypes.ts';
import { GGML_TYPES } from '../formats/ggml-types.ts';
import { dequantizeRows } from '../formats/numeric.ts';
import type { ActivationRounding } from '../formats/quant/scheme.ts';
import type { TensorEntry } from '../formats/tensor.ts';
import type { GpuContext } from '../gpu/device.ts';
import { createF32Buffer, uploadWeight, type GpuWeight } from '../gpu/weights.ts';
import type { ModelConfig } from './config.ts';
import { layerTensor, unpermuteRow } from './tensor-names.ts';

/** The GGUF types the kernels decode, by ggml name, for errors about the others. */
const COMPUTABLE_GGML_TYPES = Object.values(GGML_TYPES)
  .filter((t) => t.dtype)
  .map((t) => t.name)
  .join(', ');

/** The weights of one model on the GPU. Matrices stay in their stored format; vectors are f32. */
export interface LayerWeights {
  attnNorm: GPUBuffer; //  [hidden]
  wq: GpuWeight; //        [nHeads*headDim, hidden] (+ bias when qkvBias)
  wk: GpuWeight; //        [nKvHeads*headDim, hidden]
  wv: GpuWeight; //        [nKvHeads*headDim, hidden]
  wo: GpuWeight; //        [hidden, nHeads*headDim]
  qNorm?: GPUBuffer; //    [headDim] (qkNorm)
  kNorm?: GPUBuffer; //    [headDim]
  ffnNorm: GPUBuffer; //   [hidden]
  gate: GpuWeight; //      [ffn, hidden]
  up: GpuWeight; //        [ffn, hidden]
  down: GpuWeight; //      [hidden, ffn]
}

export interface ModelWeights {
  embed: GpuWeight; //     [vocab, hidden]
  layers: LayerWeights[];
  finalNorm: GPUBuffer; // [hidden]
  lmHead: GpuWeight; //    [vocab, hidden] (the embedding when tied)
  /** Per-frequency divisors from GGUF `rope_freqs.weight` (llama3 scaling as llama.cpp stores it). */
  ropeFreqFactors: Float32Array | null;
  /** W8A8 checkpoints: the matmul inputs are rounded to FP8 E4M3 or INT8 as the checkpoint says. */
  activationRounding: ActivationRounding | null;
  bytes: number;
}

/** A tensor is missing, has the wrong shape, or is stored in a type the runtime cannot compute with. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

export interface WeightLoadOptions {
  /** GGUF llama files store Q/K rows permuted for adjacent-pair RoPE: undo it. */
  unpermuteQk: boolean;
  activationRounding?: ActivationRounding | null;
  onBytes?: (n: number) => void;
}

/** Streams every tensor the config calls for to the GPU, checking names, shapes and types first. */
export async function loadWeights(
  gpu: GpuContext,
  config: ModelConfig,
  tensors: ReadonlyMap<string, TensorEntry>,
  opts: WeightLoadOptions,
): Promise<ModelWeights> {
  const c = config;
  checkTensors(c, tensors);
  let bytes = 0;
  const onBytes = (n: number) => {
    bytes += n;
    opts.onBytes?.(n);
  };

  const vector = async (name: string) => {
    const t = tensors.get(name)!;
    onBytes(t.byteLength);
    return createF32Buffer(gpu.device, name, await readF32(t));
  };
  const matrix = async (name: string, opt: { bias?: string; permuteHeads?: number } = {}) => {
    const t = tensors.get(name)!;
    const dtype = dtypeOf(t);
    const [rows, cols] = t.shape;
    const bias = opt.bias ? await readF32(tensors.get(opt.bias)!) : undefined;
    return uploadWeight(
      gpu.device,
      { name, dtype, rows, cols },
      (o, n) => t.source.read(t.offset + o, n),
      {
        maxBindingBytes: gpu.maxBindingBytes,
        bias,
        sourceRow: opt.permuteHeads ? unpermuteRow(rows / opt.permuteHeads) : undefined,
        columnOrder: t.columnOrder,
        onBytes,
      },
    );
  };

  const embed = await matrix('model.embed_tokens.weight');
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.nLayers; i++) {
    const L = (part: string) => layerTensor(i, part);
    const permute = opts.unpermuteQk;
    layers.push({
      attnNorm: await vector(L('input_layernorm.weight')),
      wq: await matrix(L('self_attn.q_proj.weight'), { bias: c.qkvBias ? L('self_attn.q_proj.bias') : undefined, permuteHeads: permute ? c.nHeads : undefined }),
      wk: await matrix(L('self_attn.k_proj.weight'), { bias: c.qkvBias ? L('self_attn.k_proj.bias') : undefined, permuteHeads: permute ? c.nKvHeads : undefined }),
      wv: await matrix(L('self_attn.v_proj.weight'), { bias: c.qkvBias ? L('self_attn.v_proj.bias') : undefined }),
      wo: await matrix(L('self_attn.o_proj.weight')),
      qNorm: c.qkNorm ? await vector(L('self_attn.q_norm.weight')) : undefined,
      kNorm: c.qkNorm ? await vector(L('self_attn.k_norm.weight')) : undefined,
      ffnNorm: await vector(L('post_attention_layernorm.weight')),
      gate: await matrix(L('mlp.gate_proj.weight')),
      up: await matrix(L('mlp.up_proj.weight')),
      down: await matrix(L('mlp.down_proj.weight')),
    });
  }
  const finalNorm = await vector('model.norm.weight');
  const lmHead = c.tieEmbeddings ? embed : await matrix('lm_head.weight');
  const freqs = tensors.get('rope_freqs.weight');
  const ropeFreqFactors = freqs ? await readF32(freqs) : null;
  if (ropeFreqFactors && ropeFreqFactors.length !== c.headDim / 2) {
    throw new ModelLoadError(`${freqs!.source.name}: rope_freqs.weight has ${ropeFreqFactors.length} values, expected ${c.headDim / 2}`);
  }
  return { embed, layers, finalNorm, lmHead, ropeFreqFactors, activationRounding: opts.activationRounding ?? null, bytes };
}

/** Every tensor the forward pass reads, with its shape (PyTorch order). */
export function expectedShapes(c: ModelConfig): [string, number[]][] {
  const H = c.hiddenSize;
  const q = c.nHeads * c.headDim;
  const kv = c.nKvHeads * c.headDim;
  const out: [string, number[]][] = [['model.embed_tokens.weight', [c.vocabSize, H]], ['model.norm.weight', [H]]];
  if (!c.tieEmbeddings) out.push(['lm_head.weight', [c.vocabSize, H]]);
  for (let i = 0; i < c.nLayers; i++) {
    const L = (part: string) => layerTensor(i, part);
    out.push(
      [L('input_layernorm.weight'), [H]],
      [L('self_attn.q_proj.weight'), [q, H]],
      [L('self_attn.k_proj.weight'), [kv, H]],
      [L('self_attn.v_proj.weight'), [kv, H]],
      [L('self_attn.o_proj.weight'), [H, q]],
      [L('post_attention_layernorm.weight'), [H]],
      [L('mlp.gate_proj.weight'), [c.ffnSize, H]],
      [L('mlp.up_proj.weight'), [c.ffnSize, H]],
      [L('mlp.down_proj.weight'), [H, c.ffnSize]],
    );
    if (c.qkvBias) out.push([L('self_attn.q_proj.bias'), [q]], [L('self_attn.k_proj.bias'), [kv]], [L('self_attn.v_proj.bias'), [kv]]);
    if (c.qkNorm) out.push([L('self_attn.q_norm.weight'), [c.headDim]], [L('self_attn.k_norm.weight'), [c.headDim]]);
  }
  return out;
}

/**
 * Every tensor the config calls for is present, of the implied shape, in a type the kernels read; a
 * projection bias the forward pass would not add (a llama GGUF with attn_q.bias, an MLP bias) is
 * refused rather than silently dropped.
 */
export function checkTensors(c: ModelConfig, tensors: ReadonlyMap<string, TensorEntry>): void {
  const expected = expectedShapes(c);
  for (const [name, shape] of expected) check(tensors, name, shape);
  const names = new Set(expected.map(([name]) => name));
  for (const [name, t] of tensors) {
    if (/^model\.layers\.\d+\.(self_attn|mlp)\.\w+\.bias$/.test(name) && !names.has(name)) {
      throw new ModelLoadError(`${t.source.name}: tensor "${name}" is a bias that ${c.arch} models do not have here; this runtime does not add it, so it refuses the model rather than compute without it`);
    }
  }
}

function check(tensors: ReadonlyMap<string, TensorEntry>, name: string, shape: number[]): void {
  const t = tensors.get(name);
  if (!t) throw new ModelLoadError(`the model has no tensor "${name}", which its config requires`);
  const same = t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
  if (!same) {
    throw new ModelLoadError(`${t.source.name}: tensor "${name}" has shape [${t.shape}], but the config implies [${shape}]`);
  }
  dtypeOf(t);
}

function dtypeOf(t: TensorEntry): WeightDtype {
  if (typeof t.dtype === 'string' && isWeightDtype(t.dtype)) {
    if (t.shape.length === 2) rowBytes(t.dtype, t.shape[1]);
    return t.dtype;
  }
  const type = typeof t.dtype === 'string' ? t.dtype : t.dtype.unsupported;
  throw new ModelLoadError(
    `${t.source.name}: tensor "${t.name}" is stored as ${type}, which this runtime cannot compute with yet ` +
      `(supported: ${COMPUTABLE_GGML_TYPES}; FP8 E4M3, INT8, GPTQ / AWQ / compressed-tensors INT4 and INT8, bitsandbytes NF4, FP4 and LLM.int8, ` +
      'and MLX 2- to 8-bit safetensors with their scale tensors)',
  );
}

async function readF32(t: TensorEntry): Promise<Float32Array> {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const data = await t.source.read(t.offset, t.byteLength);
  return Float32Array.from(dequantizeRows(dtypeOf(t), data, 1, n));
}
