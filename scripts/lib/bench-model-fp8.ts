import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeSafetensorsHeader } from '../../src/formats/safetensors-writer.ts';
import type { ArchName } from '../../src/model/config.ts';
import { R1_ADDED_TOKENS, R1_GENERATION_CONFIG, r1TokenizerConfig, r1TokenizerJson } from './r1-tokenizer.ts';
import { Rng } from './random.ts';
import { hfConfig, type TestModelDims } from './test-model.ts';

/**
 * A random-weight Hugging Face folder of a real checkpoint's shapes in DeepSeek's block FP8 layout
 * (as in DeepSeek-V3/R1's own FP8 release: F8_E4M3 Linear weights, one F32 `weight_scale_inv` per
 * 128 x 128 block, BF16 embedding, norms, biases and LM head), written tensor by tensor so that a
 * 7B folder never sits in memory. llama.cpp cannot read it: the bench runs it without a peer.
 */
export interface Fp8BenchShape {
  arch: ArchName;
  dims: TestModelDims;
  ropeTheta: number;
  eps: number;
}

interface Planned {
  name: string;
  dtype: 'BF16' | 'F8_E4M3' | 'F32';
  shape: number[];
  fill: 'ones' | 'random' | 'fp8' | 'scale';
  /** Inputs of the matrix a random or FP8 tensor belongs to: values scale with 1 / sqrt(cols). */
  cols: number;
}

function plan({ arch, dims: d }: Fp8BenchShape): Planned[] {
  const H = d.hiddenSize;
  const q = d.nHeads * d.headDim;
  const kv = d.nKvHeads * d.headDim;
  const out: Planned[] = [{ name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [d.vocabSize, H], fill: 'random', cols: H }];
  const ones = (name: string, n: number) => out.push({ name, dtype: 'BF16', shape: [n], fill: 'ones', cols: n });
  const linear = (name: string, rows: number, cols: number) => {
    out.push({ name: `${name}.weight`, dtype: 'F8_E4M3', shape: [rows, cols], fill: 'fp8', cols });
    out.push({ name: `${name}.weight_scale_inv`, dtype: 'F32', shape: [Math.ceil(rows / 128), Math.ceil(cols / 128)], fill: 'scale', cols });
  };
  for (let i = 0; i < d.nLayers; i++) {
    const L = `model.layers.${i}.`;
    ones(`${L}input_layernorm.weight`, H);
    linear(`${L}self_attn.q_proj`, q, H);
    linear(`${L}self_attn.k_proj`, kv, H);
    linear(`${L}self_attn.v_proj`, kv, H);
    linear(`${L}self_attn.o_proj`, H, q);
    if (arch === 'qwen2') {
      for (const [p, n] of [['q', q], ['k', kv], ['v', kv]] as const) out.push({ name: `${L}self_attn.${p}_proj.bias`, dtype: 'BF16', shape: [n], fill: 'random', cols: 1 });
    }
    if (arch === 'qwen3') {
      ones(`${L}self_attn.q_norm.weight`, d.headDim);
      ones(`${L}self_attn.k_norm.weight`, d.headDim);
    }
    ones(`${L}post_attention_layernorm.weight`, H);
    linear(`${L}mlp.gate_proj`, d.ffnSize, H);
    linear(`${L}mlp.up_proj`, d.ffnSize, H);
    linear(`${L}mlp.down_proj`, H, d.ffnSize);
  }
  ones('model.norm.weight', H);
  out.push({ name: 'lm_head.weight', dtype: 'BF16', shape: [d.vocabSize, H], fill: 'random', cols: H });
  return out;
}

const BF16_ONE = 0x3f80;

/** Valid random bytes for `t`: no E4M3 NaN codes (0x7f, 0xff), scales that keep weights within 1 / sqrt(cols). */
function fillChunk(t: Planned, out: Uint8Array, rng: Rng): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const scale = 1 / Math.sqrt(t.cols);
  if (t.fill === 'ones') for (let i = 0; i < out.length; i += 2) view.setUint16(i, BF16_ONE, true);
  else if (t.fill === 'random') {
    // Random sign and mantissa under one exponent: magnitudes between scale / 4 and scale, written as fast
    // as random bytes (the embedding and LM head are the largest tensors).
    const exponent = Math.floor(Math.log2(scale)) + 127;
    rng.fillBytes(out);
    const halves = new Uint16Array(out.buffer, out.byteOffset, out.length >> 1);
    for (let i = 0; i < halves.length; i++) halves[i] = (halves[i] & 0x807f) | ((exponent - 1) << 7);
  } else if (t.fill === 'fp8') {
    rng.fillBytes(out);
    for (let i = 0; i < out.length; i++) if ((out[i] & 0x7f) === 0x7f) out[i] ^= 1;
  } else {
    // E4M3 values reach 448: a block's scale maps that to the matrix's weight range.
    for (let i = 0; i < out.length; i += 4) view.setFloat32(i, (scale / 448) * (0.5 + rng.next()), true);
  }
}

/** Writes (once) the folder `dir` for `shape`; returns it. */
export async function ensureFp8BenchFolder(dir: string, shape: Fp8BenchShape, log: (s: string) => void): Promise<string> {
  if (await stat(path.join(dir, 'model.safetensors')).catch(() => null)) return dir;
  const { arch, dims: d } = shape;
  const vocab = R1_ADDED_TOKENS[R1_ADDED_TOKENS.length - 1][0] + 1;
  if (d.vocabSize < vocab) throw new Error(`an FP8 bench folder carries R1-Distill-Qwen's tokenizer (${vocab} tokens): the ${d.vocabSize}-row vocabulary of this shape is too small`);
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const config = {
    ...hfConfig(arch, d),
    max_position_embeddings: 131072,
    rope_theta: shape.ropeTheta,
    rms_norm_eps: shape.eps,
    quantization_config: { activation_scheme: 'dynamic', fmt: 'e4m3', quant_method: 'fp8', weight_block_size: [128, 128] },
  };
  await writeFile(path.join(tmp, 'config.json'), JSON.stringify(config, null, 2));
  await writeFile(path.join(tmp, 'generation_config.json'), JSON.stringify(R1_GENERATION_CONFIG, null, 2));
  await writeFile(path.join(tmp, 'tokenizer.json'), JSON.stringify(r1TokenizerJson()));
  await writeFile(path.join(tmp, 'tokenizer_config.json'), JSON.stringify(r1TokenizerConfig(), null, 2));
  const tensors = plan(shape);
  const { header, offsets, dataBytes } = encodeSafetensorsHeader(tensors, { format: 'pt' });
  const fh = await open(path.join(tmp, 'model.safetensors'), 'w');
  const rng = new Rng(8);
  try {
    await fh.write(header, 0, header.length, 0);
    let written = 0;
    for (const [i, t] of tensors.entries()) {
      const bytes = (tensors[i + 1] ? offsets[i + 1] : dataBytes) - offsets[i];
      for (let at = 0; at < bytes; at += 32 << 20) {
        const chunk = new Uint8Array(Math.min(32 << 20, bytes - at));
        fillChunk(t, chunk, rng);
        await fh.write(chunk, 0, chunk.length, header.length + offsets[i] + at);
      }
      written += bytes;
      if (i % 40 === 0) log(`writing ${path.basename(dir)}: ${((written / dataBytes) * 100).toFixed(0)}%`);
    }
  } finally {
    await fh.close();
  }
  await rename(tmp, dir);
  return dir;
}
