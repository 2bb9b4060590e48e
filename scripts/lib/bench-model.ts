import { open, mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { DTYPE_LAYOUTS, rowBytes, type GgmlDtype } from '../../src/formats/dtypes.ts';
import { GGML_TYPE_ID } from '../../src/formats/ggml-types.ts';
import { encodeGgufHeader, type GgufWriteValue } from '../../src/formats/gguf-writer.ts';
import { f32ToF16Bits } from '../../src/formats/numeric.ts';
import type { ArchName } from '../../src/model/config.ts';
import { ensureFp8BenchFolder } from './bench-model-fp8.ts';
import { benchGgufTokenizerMetadata } from './r1-tokenizer.ts';
import { Rng } from './random.ts';
import { REPO_ROOT } from './repo-root.ts';
import type { TestModelDims } from './test-model.ts';

/**
 * Random-weight GGUF files with the exact shapes of the real checkpoints, for speed measurements.
 * Weights are random but valid blocks (finite f16 scales, uniform quants), written tensor by tensor
 * so a multi-gigabyte file never sits in memory.
 */
export const BENCH_SHAPES: Record<string, { arch: ArchName; dims: TestModelDims; ropeTheta: number; eps: number }> = {
  tiny: { arch: 'qwen2', dims: { hiddenSize: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, headDim: 16, ffnSize: 128, vocabSize: 151_936 }, ropeTheta: 1e4, eps: 1e-6 },
  'qwen2-1.5b': { arch: 'qwen2', dims: { hiddenSize: 1536, nLayers: 28, nHeads: 12, nKvHeads: 2, headDim: 128, ffnSize: 8960, vocabSize: 151_936 }, ropeTheta: 1e4, eps: 1e-6 },
  'qwen2-7b': { arch: 'qwen2', dims: { hiddenSize: 3584, nLayers: 28, nHeads: 28, nKvHeads: 4, headDim: 128, ffnSize: 18944, vocabSize: 152_064 }, ropeTheta: 1e4, eps: 1e-6 },
  'llama-8b': { arch: 'llama', dims: { hiddenSize: 4096, nLayers: 32, nHeads: 32, nKvHeads: 8, headDim: 128, ffnSize: 14336, vocabSize: 128_256 }, ropeTheta: 5e5, eps: 1e-5 },
  'qwen3-8b': { arch: 'qwen3', dims: { hiddenSize: 4096, nLayers: 36, nHeads: 32, nKvHeads: 8, headDim: 128, ffnSize: 12288, vocabSize: 151_936 }, ropeTheta: 1e6, eps: 1e-6 },
};

interface PlannedTensor {
  name: string;
  dtype: GgmlDtype;
  shape: number[];
}

/**
 * A weight type for every matrix, llama.cpp's Q4_K_M recipe (Q6_K for attn_v, ffn_down and output),
 * or 'fp8': a Hugging Face folder in DeepSeek's block FP8 layout (bench-model-fp8.ts).
 */
export type BenchDtype = GgmlDtype | 'q4_k_m' | 'fp8';

function plan(shape: (typeof BENCH_SHAPES)[string], mix: GgmlDtype | 'q4_k_m'): PlannedTensor[] {
  const { arch, dims: d } = shape;
  const dtype: GgmlDtype = mix === 'q4_k_m' ? 'q4_k' : mix;
  const q = d.nHeads * d.headDim;
  const kv = d.nKvHeads * d.headDim;
  const out: PlannedTensor[] = [{ name: 'token_embd.weight', dtype, shape: [d.vocabSize, d.hiddenSize] }];
  for (let i = 0; i < d.nLayers; i++) {
    const b = `blk.${i}.`;
    out.push({ name: `${b}attn_norm.weight`, dtype: 'f32', shape: [d.hiddenSize] });
    out.push({ name: `${b}attn_q.weight`, dtype, shape: [q, d.hiddenSize] }, { name: `${b}attn_k.weight`, dtype, shape: [kv, d.hiddenSize] });
    out.push({ name: `${b}attn_v.weight`, dtype: mix === 'q4_k_m' ? 'q6_k' : dtype, shape: [kv, d.hiddenSize] }, { name: `${b}attn_output.weight`, dtype, shape: [d.hiddenSize, q] });
    if (arch === 'qwen2') {
      for (const [n, len] of [['q', q], ['k', kv], ['v', kv]] as const) out.push({ name: `${b}attn_${n}.bias`, dtype: 'f32', shape: [len] });
    }
    if (arch === 'qwen3') out.push({ name: `${b}attn_q_norm.weight`, dtype: 'f32', shape: [d.headDim] }, { name: `${b}attn_k_norm.weight`, dtype: 'f32', shape: [d.headDim] });
    out.push({ name: `${b}ffn_norm.weight`, dtype: 'f32', shape: [d.hiddenSize] });
    out.push({ name: `${b}ffn_gate.weight`, dtype, shape: [d.ffnSize, d.hiddenSize] }, { name: `${b}ffn_up.weight`, dtype, shape: [d.ffnSize, d.hiddenSize] });
    out.push({ name: `${b}ffn_down.weight`, dtype: mix === 'q4_k_m' ? 'q6_k' : dtype, shape: [d.hiddenSize, d.ffnSize] });
  }
  out.push({ name: 'output_norm.weight', dtype: 'f32', shape: [d.hiddenSize] }, { name: 'output.weight', dtype: mix === 'q4_k_m' ? 'q6_k' : dtype, shape: [d.vocabSize, d.hiddenSize] });
  return out;
}

/** Valid random bytes of `rows` x `cols` values: small f16 scales so activations stay finite. */
function fillRandom(out: Uint8Array, dtype: GgmlDtype, cols: number, rng: Rng): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const scale = 1 / Math.sqrt(cols);
  if (dtype === 'f32') for (let i = 0; i < out.length; i += 4) view.setFloat32(i, (rng.next() * 2 - 1) * scale, true);
  else if (dtype === 'f16' || dtype === 'bf16') {
    for (let i = 0; i < out.length; i += 2) {
      const v = (rng.next() * 2 - 1) * scale;
      view.setUint16(i, dtype === 'f16' ? f32ToF16Bits(v) : new Uint32Array(new Float32Array([v]).buffer)[0] >>> 16, true);
    }
  } else {
    // Random quants under small f16 scales, at each block's scale offset(s).
    const { blockBytes } = DTYPE_LAYOUTS[dtype];
    const scaleAt: Partial<Record<GgmlDtype, number[]>> = { q4_k: [0, 2], q5_k: [0, 2], q6_k: [208], q4_1: [0, 2] };
    const d = f32ToF16Bits(scale / (dtype === 'q8_0' ? 64 : dtype.endsWith('_k') ? 256 : 4));
    rng.fillBytes(out);
    for (let b = 0; b < out.length; b += blockBytes) for (const o of scaleAt[dtype] ?? [0]) view.setUint16(b + o, d, true);
  }
}

/** `layers` overrides the depth (a 2-layer 7B measures per-layer and head costs without writing 4 GB). */
export async function ensureBenchModel(shapeName: string, dtype: BenchDtype, log: (s: string) => void, layers?: number): Promise<string> {
  const base = BENCH_SHAPES[shapeName];
  if (!base) throw new Error(`unknown shape ${shapeName}`);
  const shape = layers ? { ...base, dims: { ...base.dims, nLayers: layers } } : base;
  const stem = path.join(REPO_ROOT, '.cache/bench-models', `${shapeName}${layers ? `-${layers}l` : ''}-${dtype}`);
  if (dtype === 'fp8') return ensureFp8BenchFolder(stem, shape, log);
  const file = `${stem}.gguf`;
  if (await stat(file).catch(() => null)) return file;
  await mkdir(path.dirname(file), { recursive: true });
  const { arch, dims: d } = shape;
  const metadata: [string, GgufWriteValue][] = [
    ['general.architecture', { type: 'string', value: arch }],
    ['general.name', { type: 'string', value: `random ${shapeName} ${dtype}` }],
    [`${arch}.block_count`, { type: 'u32', value: d.nLayers }],
    [`${arch}.context_length`, { type: 'u32', value: 131072 }],
    [`${arch}.embedding_length`, { type: 'u32', value: d.hiddenSize }],
    [`${arch}.feed_forward_length`, { type: 'u32', value: d.ffnSize }],
    [`${arch}.attention.head_count`, { type: 'u32', value: d.nHeads }],
    [`${arch}.attention.head_count_kv`, { type: 'u32', value: d.nKvHeads }],
    [`${arch}.attention.key_length`, { type: 'u32', value: d.headDim }],
    [`${arch}.rope.freq_base`, { type: 'f32', value: shape.ropeTheta }],
    [`${arch}.attention.layer_norm_rms_epsilon`, { type: 'f32', value: shape.eps }],
    // The Qwen vocabulary (cut to size for Llama's): the bench never detokenizes, it only needs a tokenizer.
    ...benchGgufTokenizerMetadata(d.vocabSize),
  ];
  const tensors = plan(shape, dtype).map((t) => ({
    ...t,
    byteLength: t.shape.length === 2 ? t.shape[0] * rowBytes(t.dtype, t.shape[1]) : t.shape[0] * 4,
  }));
  const { header, offsets, alignment } = encodeGgufHeader(
    metadata,
    tensors.map((t) => ({ name: t.name, ggmlType: GGML_TYPE_ID[t.dtype], shape: t.shape, byteLength: t.byteLength })),
  );
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  const rng = new Rng(7);
  try {
    await fh.write(header, 0, header.length, 0);
    const total = tensors.reduce((s, t) => s + t.byteLength, 0);
    let written = 0;
    for (const [i, t] of tensors.entries()) {
      const cols = t.shape[t.shape.length - 1];
      // Norm weights near 1 keep activations in range; everything else random.
      const rowsPerChunk = Math.max(1, Math.floor((32 << 20) / (t.byteLength / (t.shape.length === 2 ? t.shape[0] : 1))));
      const rows = t.shape.length === 2 ? t.shape[0] : 1;
      const rowLen = t.byteLength / rows;
      for (let r = 0; r < rows; r += rowsPerChunk) {
        const n = Math.min(rowsPerChunk, rows - r);
        const buf = new Uint8Array(n * rowLen);
        if (t.shape.length === 1) new Float32Array(buf.buffer).fill(1);
        else fillRandom(buf, t.dtype, cols, rng);
        await fh.write(buf, 0, buf.length, header.length + offsets[i] + r * rowLen);
      }
      written += t.byteLength;
      if (i % 20 === 0) log(`writing ${path.basename(file)}: ${((written / total) * 100).toFixed(0)}%`);
    }
    const end = header.length + offsets[tensors.length - 1] + tensors[tensors.length - 1].byteLength;
    await fh.truncate(Math.ceil(end / alignment) * alignment);
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  return file;
}
