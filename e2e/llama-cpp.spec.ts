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
 * Logits of these models reach ~10-45; float32 implementations differ by ~1e-3 of that (llama.cpp
 * against the engine on the small-vocabulary qwen2 F32 model: 0.015 of 19 at most). With quantized
 * weights llama.cpp's CPU kernels also round the activations to 8 bits (Q8_0 / Q8_K dot products)
 * before every matrix product, which moves whole logit rows: on the small-vocabulary models, up to
 * 3% of the largest logit for Q8_0, 4% for Q4_K_M, 2% for Q3_K_M. A near-tie can then go either way:
 * llama.cpp's pick is allowed 2.5% of 25 (or of the top logit, where larger) below the engine's top.
 * A wrong block layout moves them by whole units, from the first token.
 */
const logitNoise = (dtype: string, top: number) => (/^i?q/.test(dtype) ? 0.025 * Math.max(25, Math.abs(top)) : 0.05);

const PROMPT = '<｜begin▁of▁sentence｜><｜User｜>What is 17 × 23? 解释一下 🙂<｜Assistant｜><think>\n';

// The float models have R1's vocabulary: llama.cpp tokenizes the prompt with the real 151936-row
// metadata. Most quantized ones have the small one (TestModelSpec.vocab), where the weights' blocks
// are what is checked, at a fraction of the time. Q2_K_M keeps R1's: on the small-vocabulary
// model's random Q2_K blocks, llama.cpp's 8-bit activations moved its logits by up to 2.9 of 21 at
// one position (0.45 of 31 on this one), so its greedy picks left the engine's by a whole unit.
const CASES: TestModelSpec[] = [
  { arch: 'qwen2', format: 'gguf', dtype: 'f32' },
  { arch: 'qwen2', format: 'gguf', dtype: 'q8_0', vocab: 'small' },
  { arch: 'llama', format: 'gguf', dtype: 'f32' },
  { arch: 'qwen3', format: 'gguf', dtype: 'f16' },
  // Q4_K / Q6_K blocks: llama.cpp decodes them with its own code, an independent check of ours.
  { arch: 'qwen2', format: 'gguf', dtype: 'q4_k_m', vocab: 'small' },
  { arch: 'qwen3', format: 'gguf', dtype: 'q5_k_m', vocab: 'small' },
  { arch: 'llama', format: 'gguf', dtype: 'q3_k_m', vocab: 'small' },
  { arch: 'qwen2', format: 'gguf', dtype: 'q2_k_m' },
  // The non-linear 4-bit levels.
  { arch: 'qwen3', format: 'gguf', dtype: 'iq4_xs', vocab: 'small' },
  { arch: 'llama', format: 'gguf', dtype: 'iq4_nl', vocab: 'small' },
  // The legacy 32-value blocks with a minimum or a fifth bit.
  { arch: 'llama', format: 'gguf', dtype: 'q4_1', vocab: 'small' },
  { arch: 'qwen2', format: 'gguf', dtype: 'q5_0', vocab: 'small' },
  // The grid i-quants of IQ1_S ... IQ3_M files (and Q5_1), all in one: their lattices, signs and scales.
  { arch: 'qwen2', format: 'gguf', dtype: 'iq_mix', vocab: 'small' },
  // Split into 3 files as gguf-split writes them: llama.cpp opens the parts from the first one's
  // path, the engine from its URL (the others fetched beside it).
  { arch: 'llama', format: 'gguf', dtype: 'q8_0', vocab: 'small', shards: 3 },
];

test.beforeAll(async () => {
  test.setTimeout(360_000);
  await ensureLlamaCpp();
});

test.beforeEach(async ({ page }) => {
  await page.goto('/e2e/harness.html');
});

for (const spec of CASES) {
  const split = spec.shards ? `, split in ${spec.shards} parts` : '';
  test(`llama.cpp reads our ${spec.arch} ${spec.dtype}${spec.vocab ? ' (small vocabulary)' : ''} GGUF${split}, tokenizes and decodes as the engine does`, async ({ page }) => {
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
