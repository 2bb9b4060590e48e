import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openModel } from '../../src/engine/model-files.ts';
import { readShardedSafetensors } from '../../src/formats/safetensors.ts';
import { filesFromDirectory } from '../../src/formats/source-node.ts';
import { ensureFp8BenchFolder } from '../../scripts/lib/bench-model-fp8.ts';

const dir = await mkdtemp(path.join(os.tmpdir(), 'r1-fp8-bench-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

it('the FP8 bench folder opens as a DeepSeek block-FP8 checkpoint: F8_E4M3 Linear weights with their block scales, BF16 elsewhere', async () => {
  const folder = await ensureFp8BenchFolder(path.join(dir, 'fp8'), {
    arch: 'qwen2',
    dims: { hiddenSize: 128, nLayers: 1, nHeads: 2, nKvHeads: 1, headDim: 64, ffnSize: 256, vocabSize: 151_936 },
    ropeTheta: 1e4,
    eps: 1e-6,
  }, () => {});
  const m = await openModel({ folder: filesFromDirectory(folder) });
  expect(m.config).toMatchObject({ arch: 'qwen2', hiddenSize: 128, nLayers: 1, ffnSize: 256, vocabSize: 151_936 });
  const dtype = (name: string) => m.tensors.get(name)?.dtype;
  for (const p of ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj']) {
    expect(dtype(`model.layers.0.${p}.weight`), p).toBe('f8e4m3_128');
  }
  expect(dtype('model.embed_tokens.weight')).toBe('bf16');
  expect(dtype('lm_head.weight')).toBe('bf16');
  expect(dtype('model.layers.0.self_attn.q_proj.bias')).toBe('bf16');
  // No E4M3 NaN codes among the stored weights.
  const stored = (await readShardedSafetensors(filesFromDirectory(folder))).tensors.find((t) => t.name === 'model.layers.0.mlp.down_proj.weight')!;
  const bytes = await stored.source.read(stored.offset, stored.byteLength);
  expect(bytes.length).toBe(128 * 256);
  expect(bytes.some((b) => (b & 0x7f) === 0x7f)).toBe(false);
});
