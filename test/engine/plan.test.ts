import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/engine/model-files.ts';
import { planLoad } from '../../src/engine/plan.ts';
import { filesFromDirectory, sourceFromPath } from '../../src/formats/source-node.ts';
import { kvCacheBytes } from '../../src/model/kv-cache.ts';
import { describePlan } from '../../src/ui/plan-text.ts';
import { ensureTestModel } from '../../scripts/lib/test-model-files.ts';

describe('load plan', async () => {
  const kQuant = await openModel({ gguf: await sourceFromPath(await ensureTestModel({ arch: 'qwen2', format: 'gguf', dtype: 'q4_k_m' })) });
  const bf16 = await openModel({ folder: filesFromDirectory(await ensureTestModel({ arch: 'qwen2', format: 'safetensors', dtype: 'bf16', dims: 'quant' })) });

  it('adds the weights as stored, the KV cache at the chosen context and the working buffers', () => {
    const p = planLoad(kQuant, { contextLength: 1024 }, null);
    const fileBytes = [...kQuant.tensors.values()].reduce((s, t) => s + t.byteLength, 0);
    expect(p.weightBytes).toBe(fileBytes);
    expect(p.kvCacheBytes).toBe(kvCacheBytes(kQuant.config, 1024));
    expect(p.totalBytes).toBe(p.weightBytes + p.kvCacheBytes + p.activationBytes);
    expect(p.weightTypes.map((t) => t.type)).toEqual(['Q6_K', 'Q4_K', 'F32']); // the Q6_K LM head is most of a tiny model
    expect(p.alternatives).toEqual([]);
    expect(p.problem).toBeNull();
    expect(describePlan(p)).toMatch(/^A \d+M-parameter qwen2 model \(Q6_K \d+%, Q4_K \d+%\) with a 1024-token context needs [\d.]+ MiB on the GPU: [\d.]+ MiB of weights, 1.00 MiB of KV cache and [\d.]+ MiB of working buffers\.$/);
  });

  it('context is capped by the model, and a buffer over the adapter limit is a problem that names it', () => {
    const p = planLoad(kQuant, { contextLength: 1e6 }, 100_000);
    expect(p.contextLength).toBe(kQuant.config.maxPositions);
    expect(p.problem).toMatch(/takes [\d.]+ MiB, more than this GPU's 0.1 MiB buffer limit/);
    expect(describePlan(p)).toMatch(/It cannot load on this GPU: .*buffer limit/);
  });

  it('float checkpoints list what quantizing while loading would need', () => {
    const p = planLoad(bf16, { contextLength: 512 }, 2 ** 30);
    expect(p.alternatives.map((a) => a.quantize)).toEqual(['q4', 'fp8']);
    for (const a of p.alternatives) expect(a.totalBytes).toBeLessThan(p.totalBytes * 0.6);
    const q4 = planLoad(bf16, { contextLength: 512, quantize: 'q4' }, 2 ** 30);
    expect(q4.totalBytes).toBe(p.alternatives[0].totalBytes);
    expect(q4.weightTypes.map((t) => t.type)).toEqual(['Q8_0', 'Q4_0', 'BF16']);
    expect(describePlan(q4)).toContain('quantized to Q4 while loading');
  });
});
