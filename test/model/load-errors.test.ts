import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromGguf } from '../../src/engine/model-files.ts';
import { readGguf } from '../../src/formats/gguf.ts';
import { writeGguf, type GgufWriteValue } from '../../src/formats/gguf-writer.ts';
import { sourceFromPath } from '../../src/formats/source-node.ts';
import { planMemory } from '../../src/model/memory.ts';
import { checkTensors, ModelLoadError } from '../../src/model/weights.ts';
import { ensureTestModel } from '../../scripts/lib/test-model-files.ts';
import { GGML_TYPES } from '../../src/formats/ggml-types.ts';

/**
 * A real test-model GGUF rewritten with one thing wrong: the error must name the file or tensor and
 * the problem, before any GPU work.
 */
async function variant(name: string, edit: (tensors: { name: string; ggmlType: number; shape: number[]; data: Uint8Array }[]) => void) {
  const file = await ensureTestModel({ arch: 'qwen2', format: 'gguf', dtype: 'q8_0' });
  const g = await readGguf(await sourceFromPath(file));
  const md: [string, GgufWriteValue][] = [...g.metadata].map(([k, v]) => [k, toWrite(v)]);
  const typeId = (t: (typeof g.tensors)[number]) => Number(Object.entries(GGML_TYPES).find(([, x]) => x.dtype === t.dtype)![0]);
  const tensors = await Promise.all(
    g.tensors.map(async (t) => ({ name: t.name, ggmlType: typeId(t), shape: t.shape, data: await t.source.read(t.offset, t.byteLength) })),
  );
  edit(tensors);
  const out = path.join(os.tmpdir(), `r1-${name}-${process.pid}.gguf`);
  await writeFile(out, writeGguf(md, tensors));
  return fromGguf(await sourceFromPath(out), path.basename(out));
}

function toWrite(v: unknown): GgufWriteValue {
  if (typeof v === 'string') return { type: 'string', value: v };
  if (typeof v === 'boolean') return { type: 'bool', value: v };
  if (typeof v === 'bigint') return { type: 'u64', value: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { type: 'u32', value: v } : { type: 'f32', value: v };
  const a = v as unknown[];
  if (typeof a[0] === 'string') return { type: 'array', itemType: 'string', value: a as string[] };
  return { type: 'array', itemType: 'i32', value: a as number[] };
}

describe('model load errors', () => {
  it('names a missing tensor', async () => {
    const b = await variant('missing', (ts) => ts.splice(ts.findIndex((t) => t.name === 'blk.1.ffn_up.weight'), 1));
    expect(() => checkTensors(b.config, b.tensors)).toThrow(ModelLoadError);
    expect(() => checkTensors(b.config, b.tensors)).toThrow(/no tensor "model\.layers\.1\.mlp\.up_proj\.weight"/);
  });
  it('names a tensor whose shape does not match the config', async () => {
    const b = await variant('shape', (ts) => {
      const t = ts.find((x) => x.name === 'blk.0.attn_k.weight')!;
      t.shape = [t.shape[0] / 2, t.shape[1]];
      t.data = t.data.subarray(0, t.data.length / 2);
    });
    expect(() => checkTensors(b.config, b.tensors)).toThrow(/"model\.layers\.0\.self_attn\.k_proj\.weight" has shape \[16,64\], but the config implies \[32,64\]/);
  });
  it('names a tensor stored in a type the kernels cannot read', async () => {
    const b = await variant('dtype', (ts) => {
      const t = ts.find((x) => x.name === 'blk.0.ffn_down.weight')!;
      // MXFP4: 32-value blocks of 17 bytes, a real GGUF type (gpt-oss) the kernels do not decode.
      t.ggmlType = 39;
      t.data = new Uint8Array((t.shape[0] * t.shape[1] * 17) / 32);
    });
    expect(() => checkTensors(b.config, b.tensors)).toThrow(/"blk\.0\.ffn_down\.weight" is stored as MXFP4, which this runtime cannot compute with/);
  });
  it('refuses a bias the forward pass would not add, rather than drop it', async () => {
    const b = await variant('bias', (ts) => {
      const H = ts.find((x) => x.name === 'token_embd.weight')!.shape[1];
      ts.push({ name: 'blk.1.attn_output.bias', ggmlType: 0, shape: [H], data: new Uint8Array(H * 4) });
    });
    expect(() => checkTensors(b.config, b.tensors)).toThrow(/tensor "model\.layers\.1\.self_attn\.o_proj\.bias" is a bias that qwen2 models do not have here/);
  });
  it('plans memory and names the largest unsplittable buffer', async () => {
    const b = await variant('plan', () => {});
    const plan = planMemory(b.config, b.tensors.values(), 4096, 128);
    // Keys and values of 2 layers, 4096 positions, 2 kv heads of 16, in half precision (the default).
    expect(plan.kvCacheBytes).toBe(2 * 2 * 4096 * 2 * 16 * 2);
    expect(planMemory(b.config, b.tensors.values(), 4096, 128, 'f32').kvCacheBytes).toBe(2 * 2 * 4096 * 2 * 16 * 4);
    expect(plan.weightBytes).toBeGreaterThan(20e6);
    expect(plan.largestBufferName).toMatch(/logits|KV cache/);
  });
});
