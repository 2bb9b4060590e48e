/**
 * Second opinion from llama.cpp (CPU build through node-llama-cpp): it parses the GGUF files the
 * project writes, tokenizes the rendered prompt, and its greedy tokens must equal the WebGPU engine's.
 * That checks the writer (names, metadata, llama Q/K permutation, rope_freqs) and the numerics
 * against an implementation that shares no code with this one.
 *
 * Greedy picks are compared by teacher forcing: at every step llama.cpp's token must be the engine's
 * top logit up to logitNoise(). Random models have occasional near-ties (two logits 0.01 apart) where
 * two correct float32 implementations may pick differently; an exact-sequence comparison would be
 * flaky there, this one is not, and it still fails on any real disagreement.
 */
import { expect, test } from '@playwright/test';
import { ensureLlamaCpp, loadLlamaCpp, llamaCppGreedy, llamaCppTokenize } from '../scripts/lib/llama-cpp.ts';
import { ensureTestModel, TEST_MODEL_URL, type TestModelSpec } from '../scripts/lib/test-model-files.ts';

/**
 * Logits of these models reach ~25-45; float32 implementations differ by ~1e-3 of that. With
 * quantized weights llama.cpp's CPU kernels also round the activations to 8 bits (Q8_0 / Q8_K dot
 * products), which moves logits by up to ~0.8% of their size (0.14 of 26 on a Q3_K_M near-tie, 0.34
 * of 44 on IQ4_XS): allowed 1%. A wrong block layout moves them by whole units, from the first token.
 */
const logitNoise = (dtype: string, top: number) => (/^i?q/.test(dtype) ? 0.01 * Math.max(25, Math.abs(top)) : 0.05);

const PROMPT = '<｜begin▁of▁sentence｜><｜User｜>What is 17 × 23? 解释一下 🙂<｜Assistant｜><think>\n';

const CASES: TestModelSpec[] = [
  { arch: 'qwen2', format: 'gguf', dtype: 'f32' },
  { arch: 'qwen2', format: 'gguf', dtype: 'q8_0' },
  { arch: 'llama', format: 'gguf', dtype: 'f32' },
  { arch: 'qwen3', format: 'gguf', dtype: 'f16' },
  // Q4_K / Q6_K blocks: llama.cpp decodes them with its own code, an independent check of ours.
  { arch: 'qwen2', format: 'gguf', dtype: 'q4_k_m' },
  { arch: 'qwen3', format: 'gguf', dtype: 'q5_k_m' },
  { arch: 'llama', format: 'gguf', dtype: 'q3_k_m' },
  { arch: 'qwen2', format: 'gguf', dtype: 'q2_k_m' },
  // The non-linear 4-bit levels.
  { arch: 'qwen3', format: 'gguf', dtype: 'iq4_xs' },
  { arch: 'llama', format: 'gguf', dtype: 'iq4_nl' },
  // The legacy 32-value blocks with a minimum or a fifth bit.
  { arch: 'llama', format: 'gguf', dtype: 'q4_1' },
  { arch: 'qwen2', format: 'gguf', dtype: 'q5_0' },
];

test.beforeAll(async () => {
  test.setTimeout(360_000);
  await ensureLlamaCpp();
});

test.beforeEach(async ({ page }) => {
  await page.goto('/e2e/harness.html');
});

for (const spec of CASES) {
  test(`llama.cpp reads our ${spec.arch} ${spec.dtype} GGUF, tokenizes and decodes as the engine does`, async ({ page }) => {
    const file = await ensureTestModel(spec);
    const model = await loadLlamaCpp(file);
    const theirIds = llamaCppTokenize(model, PROMPT);
    const n = 10;
    const theirs = await llamaCppGreedy(model, theirIds, n);
    await model.dispose();
    const url = TEST_MODEL_URL(file);
    const ourIds = await page.evaluate(
      async (arg) => (await import('/e2e/harness/engine.ts' as string)).encodeOnly(arg),
      { url, prompt: PROMPT },
    );
    expect(ourIds).toEqual(theirIds);
    const ids = [...theirIds, ...theirs];
    const upTo = theirs.map((_, i) => theirIds.length + i);
    const { logits } = await page.evaluate(
      async (arg) => (await import('/e2e/harness/engine.ts' as string)).logitsAt(arg),
      // An f32 KV cache, as llamaCppGreedy asks of llama.cpp: neither side rounds keys and values.
      { url, ids, upTo, kvCache: 'f32' },
    );
    let same = 0;
    theirs.forEach((id, i) => {
      const b = Buffer.from(logits[i], 'base64');
      const l = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
      const top = l.reduce((a, v) => Math.max(a, v), -Infinity);
      const second = l.reduce((a, v) => (v < top ? Math.max(a, v) : a), -Infinity);
      const msg = `step ${i}: llama.cpp picked ${id}, ${(top - l[id]).toFixed(3)} below the engine's top logit ${top.toFixed(3)} (runner-up ${(top - second).toFixed(3)} below)`;
      expect(top - l[id], msg).toBeLessThan(logitNoise(spec.dtype, top));
      if (l[id] === top) same++;
    });
    console.log(`${spec.arch} ${spec.dtype}: ${same}/${n} of llama.cpp's greedy tokens are the engine's top pick too`);
  });
}
