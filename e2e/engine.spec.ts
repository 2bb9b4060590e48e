/**
 * The whole forward pass on WebGPU against the float64 reference, for each architecture and weight
 * type, from real GGUF files and Hugging Face folders written by scripts/lib/test-model-files.ts:
 * prefill and step-by-step decode logits, greedy tokens equal across formats, and load errors.
 */
import { expect, test, type Page } from '@playwright/test';
import { callHarness } from './harness/call.ts';
import { readGguf } from '../src/formats/gguf.ts';
import { readShardedSafetensors } from '../src/formats/safetensors.ts';
import { filesFromDirectory, sourceFromPath } from '../src/formats/source-node.ts';
import { ensureTestModel, referenceModel, TEST_MODEL_URL } from '../scripts/lib/test-model-files.ts';
import type { RefModel } from '../src/ref/forward.ts';
import { CHECK_MODELS, CHECK_PREFILL_CHUNK, CHECK_PROMPT, CHECK_QUANTIZE_ON_LOAD, CHECK_UP_TO, compareRows, LOGIT_TOL, R1_PROMPT, referenceRows, type RowAgreement } from '../scripts/lib/reference-check.ts';

const call = <T>(page: Page, fn: string, arg: unknown) => callHarness<T>(page, 'engine', fn, arg);

function fromBase64(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

test.beforeEach(async ({ page }) => {
  page.on('pageerror', (e) => console.log('page error:', e.message));
  await page.goto('/e2e/harness.html');
});

/**
 * The engine prefills 11 tokens in chunks of 8 (a full chunk and a tail), then takes 4 single-token
 * decode steps; at each, its logits are within LOGIT_TOL of the reference's and pick the same token.
 * The models have the small vocabulary (reference-check.ts), as have most below; the tests with
 * R1's 151936-row head cover what depends on its size: bindings split, the scripted model.
 */
async function expectReferenceLogits(page: Page, file: string, ref: RefModel, opts: Record<string, unknown> = {}) {
  const got = await call<{ logits: string[]; info: { kvCacheBytes: number } }>(page, 'logitsAt', {
    url: TEST_MODEL_URL(file),
    ids: CHECK_PROMPT,
    upTo: CHECK_UP_TO,
    prefillChunk: CHECK_PREFILL_CHUNK,
    ...opts,
  });
  for (const r of compareRows(got.logits.map(fromBase64), referenceRows(ref))) {
    expect(r.relDiff, `after ${r.upTo} tokens`).toBeLessThan(LOGIT_TOL);
    expect(r.pick, `greedy pick after ${r.upTo} tokens`).toBe(r.refPick);
  }
  return got;
}

for (const [spec, quantize] of [...CHECK_MODELS.map((c) => [c, undefined] as const), ...CHECK_QUANTIZE_ON_LOAD]) {
  const label = `${spec.arch} ${spec.format} ${spec.dtype}${quantize ? `, quantized to ${quantize} on load` : ''}`;
  test(`logits match the float64 reference: ${label}`, async ({ page }) => {
    const file = await ensureTestModel(spec);
    const ref = await referenceModel(file, quantize);
    ref.kvF16 = true; // the engine's default half-precision KV cache
    // W8A8 checkpoints weight-only here, so their weights are checked to f32 accuracy; the rounding
    // of their activations (FP8 or INT8) has its own test below.
    ref.activationRounding = null;
    await expectReferenceLogits(page, file, ref, { quantize, activationRounding: 'off' });
  });
}

test('W8A8 checkpoints round each matmul input as the checkpoint says (FP8 per token, per 128 values; INT8 per token, LLM.int8 but for outliers)', async ({ page }) => {
  // How far, in LOGIT_TOL, the engine's logits must stay from the unrounded reference's at every
  // position: a little under what each model shows (FP8 18-22x, W8A8 INT8 4.7x, LLM.int8 3.5x).
  const apart = { 'fp8-dynamic': 5, 'fp8-block': 5, 'w8a8-int8': 4, 'bnb-int8': 3 } as const;
  for (const dtype of Object.keys(apart) as (keyof typeof apart)[]) {
    const file = await ensureTestModel(CHECK_MODELS.find((c) => c.dtype === dtype)!);
    const ref = await referenceModel(file);
    ref.kvF16 = true;
    expect(ref.activationRounding, dtype).not.toBeNull();
    // This LLM.int8 model's threshold is 2 (passed by about 4% of its inputs); the others have none.
    expect(ref.activationRounding!.threshold, dtype).toBe(dtype === 'bnb-int8' ? 2 : undefined);
    // From the first token on, so that some rows come before the first flip (below).
    const upTo = CHECK_PROMPT.map((_, i) => i + 1);
    const got = await call<{ logits: string[] }>(page, 'logitsAt', { url: TEST_MODEL_URL(file), ids: CHECK_PROMPT, upTo, prefillChunk: CHECK_PREFILL_CHUNK });
    const logits = got.logits.map(fromBase64);
    const rounded = compareRows(logits, referenceRows(ref, upTo), upTo);
    if (dtype === 'bnb-int8') {
      // LLM.int8's outliers keep their values: rounding them too would part from the first token.
      ref.activationRounding!.threshold = undefined;
      expect(compareRows(logits.slice(0, 1), referenceRows(ref, [1]), [1])[0].relDiff, `${dtype} with outliers rounded`).toBeGreaterThan(5 * LOGIT_TOL);
      ref.activationRounding!.threshold = 2;
    }
    ref.activationRounding = null;
    const unrounded = compareRows(logits, referenceRows(ref, upTo), upTo);
    // E4M3 steps are 1/8 to 1/16 of a value (INT8's 1/127 of the row's largest), so where f32 and
    // float64 put an activation on different sides of a rounding midpoint the logits part by up to a
    // few percent from there on (for INT8 as much as leaving the rounding out). Rows before any such
    // flip agree to f32 accuracy and pick the same token; against the unrounded reference none does.
    const show = (rows: RowAgreement[]) => `${dtype}: ${rows.map((r) => r.relDiff.toExponential(1))}`;
    expect(rounded.some((r) => r.relDiff < LOGIT_TOL), show(rounded)).toBe(true);
    expect(unrounded.every((r) => r.relDiff > apart[dtype] * LOGIT_TOL), show(unrounded)).toBe(true);
    for (const r of rounded.filter((r) => r.relDiff < LOGIT_TOL)) expect(r.pick, `${dtype}: greedy pick after ${r.upTo} tokens`).toBe(r.refPick);
  }
});

test('the same model as GGUF and as safetensors gives the same greedy tokens, through the worker', async ({ page }) => {
  for (const arch of ['qwen2', 'llama'] as const) {
    const gguf = await ensureTestModel({ arch, format: 'gguf', dtype: 'f32', vocab: 'small' });
    const hf = await ensureTestModel({ arch, format: 'safetensors', dtype: 'f32', vocab: 'small' });
    const opts = { temperature: 0, maxNewTokens: 12 };
    const a = await call<{ ids: number[] }>(page, 'generateIds', { url: TEST_MODEL_URL(gguf), ids: CHECK_PROMPT, opts });
    const b = await call<{ ids: number[] }>(page, 'generateIds', { url: TEST_MODEL_URL(hf), ids: CHECK_PROMPT, opts });
    expect(a.ids).toHaveLength(12);
    expect(a.ids, arch).toEqual(b.ids);
    // And equal to the reference's greedy continuation.
    const ref = await referenceModel(hf);
    ref.kvF16 = true;
    let logits = ref.forward(CHECK_PROMPT);
    const V = ref.config.vocabSize;
    const want: number[] = [];
    let last = logits.subarray(logits.length - V);
    for (let i = 0; i < 12; i++) {
      let arg = 0;
      for (let v = 1; v < V; v++) if (last[v] > last[arg]) arg = v;
      want.push(arg);
      logits = ref.forward([arg]);
      last = logits;
    }
    expect(a.ids, `${arch} reference greedy`).toEqual(want);
  }
});

test('an f32 KV cache on request: logits match the reference that keeps keys and values unrounded', async ({ page }) => {
  const file = await ensureTestModel({ arch: 'llama', format: 'gguf', dtype: 'f32', vocab: 'small' });
  const ref = await referenceModel(file);
  const got = await expectReferenceLogits(page, file, ref, { kvCache: 'f32' });
  const c = ref.config;
  expect(got.info.kvCacheBytes).toBe(2 * c.nLayers * 256 * c.nKvHeads * c.headDim * 4);
});

test('decode attention split into key slices (flash-decoding, what GPUs run) gives the reference logits', async ({ page }) => {
  const file = await ensureTestModel({ arch: 'qwen3', format: 'safetensors', dtype: 'f16', vocab: 'small' });
  const ref = await referenceModel(file);
  ref.kvF16 = true;
  await expectReferenceLogits(page, file, ref, { attentionSplits: 3 });
});

test('the GPU schedule (threads sharing GEMV rows, the tiled prefill GEMM, split attention) gives the reference logits on any adapter', async ({ page }) => {
  // iq_mix: the grid i-quants through the QKV GEMV with RoPE, rows shared by threads.
  for (const dtype of ['q4_k_m', 'q8_0', 'iq_mix'] as const) {
    const file = await ensureTestModel({ arch: 'qwen2', format: 'gguf', dtype, vocab: 'small' });
    const ref = await referenceModel(file);
    ref.kvF16 = true;
    await expectReferenceLogits(page, file, ref, { schedule: 'gpu', attentionSplits: 3 });
  }
});

test('sampling with a seed repeats exactly and differs across seeds', async ({ page }) => {
  // The small vocabulary: the sampler over R1's 151936 ids is tested kernel by kernel (kernels.spec.ts).
  const file = await ensureTestModel({ arch: 'qwen2', format: 'gguf', dtype: 'q8_0', vocab: 'small' });
  const url = TEST_MODEL_URL(file);
  const opts = (seed: number) => ({ temperature: 1.5, topP: 0.98, topK: 50, repetitionPenalty: 1.1, seed, maxNewTokens: 10 });
  const a = await call<{ ids: number[] }>(page, 'generateIds', { url, ids: CHECK_PROMPT, opts: opts(1) });
  const b = await call<{ ids: number[] }>(page, 'generateIds', { url, ids: CHECK_PROMPT, opts: opts(1) });
  const c = await call<{ ids: number[] }>(page, 'generateIds', { url, ids: CHECK_PROMPT, opts: opts(2) });
  expect(a.ids).toEqual(b.ids);
  expect(a.ids).not.toEqual(c.ids);
});

test('decode with the next step queued before the last pick is read gives the tokens of one step at a time', async ({ page }) => {
  // The small vocabulary: what is compared is the order of steps, not the pick over 151936 ids.
  const file = await ensureTestModel({ arch: 'qwen2', format: 'gguf', dtype: 'q8_0', vocab: 'small' });
  const sampled = { temperature: 1.2, topP: 0.95, topK: 40, seed: 7 };
  const runs = [
    { ids: CHECK_PROMPT, opts: { temperature: 0, maxNewTokens: 9 } },
    // A follow-up turn reuses the cache; sampling draws differ per step.
    { ids: [...CHECK_PROMPT, 11, 12], opts: { ...sampled, maxNewTokens: 6 } },
    // With a repetition penalty each pick must reach the sampler first: one step at a time.
    { ids: CHECK_PROMPT, opts: { ...sampled, repetitionPenalty: 1.3, maxNewTokens: 6 } },
    // Aborted after 3 tokens, with steps still queued.
    { ids: CHECK_PROMPT.slice(0, 5), opts: { temperature: 0, maxNewTokens: 20 }, abortAfter: 3 },
    // Runs into the end of a 24-token cache.
    { ids: CHECK_PROMPT, opts: { ...sampled, maxNewTokens: 40 } },
    // Greedy picks take the penalty too (transformers applies it before its argmax).
    { ids: CHECK_PROMPT, opts: { temperature: 0, repetitionPenalty: 1.5, maxNewTokens: 9 } },
  ];
  type Run = { ids: number[]; finishReason: string };
  const url = TEST_MODEL_URL(file);
  const piped = await call<Run[]>(page, 'generateRuns', { url, contextLength: 24, pipelineDecode: true, runs });
  const serial = await call<Run[]>(page, 'generateRuns', { url, contextLength: 24, pipelineDecode: false, runs });
  expect(piped).toEqual(serial);
  expect(piped.map((r) => r.finishReason)).toEqual(['length', 'length', 'length', 'abort', 'context-full', 'length']);
  expect(piped.map((r) => r.ids.length)).toEqual([9, 6, 6, 3, 24 - CHECK_PROMPT.length, 9]);
  // A stop id ends generation on that token, with the step queued after it discarded.
  const stopAt = piped[0].ids[4];
  const stopped = await call<Run[]>(page, 'generateRuns', { url, contextLength: 24, pipelineDecode: true, runs: [{ ids: CHECK_PROMPT, opts: { temperature: 0, maxNewTokens: 9, stopIds: [stopAt] } }, runs[0]] });
  expect(stopped[0]).toEqual({ ids: piped[0].ids.slice(0, piped[0].ids.indexOf(stopAt) + 1), finishReason: 'stop' });
  expect(stopped[1]).toEqual(piped[0]);
});

test('a tensor split across bindings gives the same logits', async ({ page }) => {
  const file = await ensureTestModel({ arch: 'qwen2', format: 'gguf', dtype: 'q4_0' });
  const url = TEST_MODEL_URL(file);
  const whole = await call<{ logits: string[] }>(page, 'logitsAt', { url, ids: R1_PROMPT, upTo: [15] });
  // 1 MiB per binding: the 151936-row embedding and head (~5 MiB each) are split into shards.
  const split = await call<{ logits: string[] }>(page, 'logitsAt', { url, ids: R1_PROMPT, upTo: [15], capBindingBytes: 1 << 20 });
  expect(fromBase64(split.logits[0])).toEqual(fromBase64(whole.logits[0]));
});

test('broken files reach the page as named errors that say what is wrong', async ({ page }) => {
  const { copyFile, open } = await import('node:fs/promises');
  const path = await import('node:path');
  const file = await ensureTestModel({ arch: 'qwen2', format: 'gguf', dtype: 'q8_0' });
  const truncated = path.join(path.dirname(file), 'broken-truncated.gguf');
  await copyFile(file, truncated);
  const fh = await open(truncated, 'r+');
  await fh.truncate(20_000_000);
  await fh.close();
  const err = await call<{ name: string; message: string }>(page, 'loadError', { url: TEST_MODEL_URL(truncated) });
  expect(err.name).toBe('FormatError');
  expect(err.message).toMatch(/broken-truncated\.gguf: tensor "[\w.]+" ends at byte \d+ but the file has 20000000 bytes/);
  const missing = await call<{ name: string; message: string }>(page, 'loadError', { url: '/test-models/no-such-model/' });
  expect(missing.message).toMatch(/no config\.json/);
  // Token ids from the API must be the model's: an id past the embedding is refused, not read.
  await expect(call(page, 'logitsAt', { url: TEST_MODEL_URL(file), ids: [1, 200_000], upTo: [2] })).rejects.toThrow(
    /prompt token 1 is 200000, not a token id of this model \(0 to 151935\)/,
  );
});

test('a scripted model replies with its known sequence: think block, then a Markdown answer', async ({ page }) => {
  const { ensureScriptedModel, SCRIPTED_IDS, SCRIPTED_REPLY } = await import('../scripts/lib/test-model-files.ts');
  const folder = await ensureScriptedModel();
  const out = await page.evaluate(
    async (url) => (await import('/e2e/harness/engine.ts' as string)).encodeAndGenerate({
      url,
      prompt: '<｜begin▁of▁sentence｜><｜User｜>Hi!<｜Assistant｜><think>\n',
      opts: { temperature: 0, maxNewTokens: 64 },
    }),
    TEST_MODEL_URL(folder),
  );
  expect(out.ids).toEqual(SCRIPTED_IDS);
  // The end of sentence that stops it is an id, not text (Hugging Face's skip_special_tokens).
  expect(out.text).toBe(SCRIPTED_REPLY);
});

/** Bytes of every tensor in a test model's files: what its weights weigh on disk. */
async function fileWeightBytes(file: string): Promise<number> {
  const tensors = file.endsWith('.gguf')
    ? (await readGguf(await sourceFromPath(file))).tensors
    : (await readShardedSafetensors(filesFromDirectory(file))).tensors;
  return tensors.reduce((s, t) => s + t.byteLength, 0);
}

test('GPU memory of a loaded quantized model: its weights\' bytes (within 5%) plus the KV cache and activations', async ({ page }) => {
  const rows: string[] = [];
  // The small-vocabulary models of the reference checks: their Linear layers, not the embedding, make
  // most of their bytes, so the repacked layouts' overhead shows.
  for (const spec of [
    { arch: 'qwen2', format: 'gguf', dtype: 'q4_k_m' },
    { arch: 'qwen3', format: 'gguf', dtype: 'q5_k_m' },
    { arch: 'qwen2', format: 'gguf', dtype: 'q4_0' },
    { arch: 'qwen2', format: 'safetensors', dtype: 'gptq' },
    { arch: 'llama', format: 'safetensors', dtype: 'awq' },
    { arch: 'qwen2', format: 'safetensors', dtype: 'fp8-block' },
    { arch: 'qwen2', format: 'safetensors', dtype: 'w4a16' },
    { arch: 'qwen2', format: 'safetensors', dtype: 'mlx-4bit' },
  ] as const) {
    const file = await ensureTestModel({ ...spec, vocab: 'small' });
    const got = await call<{ info: { kvCacheBytes: number; activationBytes: number }; gpuLiveBytes: number }>(page, 'logitsAt', {
      url: TEST_MODEL_URL(file), ids: CHECK_PROMPT, upTo: [2],
    });
    const weights = await fileWeightBytes(file);
    const onGpu = got.gpuLiveBytes - got.info.kvCacheBytes - got.info.activationBytes;
    rows.push(`${spec.arch} ${spec.dtype}: file ${weights} B, GPU ${got.gpuLiveBytes} B = weights ${onGpu} (${((onGpu / weights - 1) * 100).toFixed(2)}%) + KV ${got.info.kvCacheBytes} + activations ${got.info.activationBytes}`);
    expect(Math.abs(onGpu / weights - 1), rows.at(-1)).toBeLessThan(0.05);
  }
  console.log(rows.join('\n'));
});
