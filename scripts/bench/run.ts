/**
 * `npm run bench`'s measurements: load a model with the engine, then prefill at each prompt length,
 * time to first token, decode at short and long context, and GPU time per kernel.
 */
import { Engine } from '../../src/engine/engine.ts';
import type { ModelInput } from '../../src/engine/model-files.ts';
import type { KernelTime } from '../../src/gpu/profiler.ts';
import type { KernelTuning } from '../../src/gpu/dispatch.ts';
import type { GenerateOptions } from '../../src/engine/settings.ts';
import { describePrefillGemm } from '../../src/kernels/matmul.ts';

export interface BenchRequest {
  promptLengths: number[];
  decodeTokens: number;
  prefillChunk: number;
  /** One decode step at a time instead of the next one queued before the pick is read (comparisons). */
  serialDecode?: boolean;
  /** Key slices per head in decode attention; by default the engine's choice for the adapter. */
  attentionSplits?: number;
  tuning?: KernelTuning;
  /** The kernel variants of a GPU ('gpu') or of a CPU adapter ('cpu') on any adapter; by default the adapter's own. */
  schedule?: 'auto' | 'gpu' | 'cpu';
  /** W8A8 models: 'off' runs them weight-only. */
  activationRounding?: 'checkpoint' | 'off';
}

export interface BenchResult {
  model: string;
  adapter: string;
  /** The prefill GEMM that ran (src/kernels/matmul.ts describePrefillGemm). */
  prefillGemm: string;
  weightBytes: number;
  kvCacheBytes: number;
  loadMs: number;
  prefill: { tokens: number; ms: number; tokensPerS: number; ttftMs: number }[];
  decode: { context: number; tokens: number; ms: number; tokensPerS: number }[];
  /** Decode at 16 tokens of context with R1's recommended sampling (temperature 0.6, top-p 0.95). */
  decodeSampled: { context: number; tokens: number; ms: number; tokensPerS: number };
  /** Kernel launches in one decode step. */
  dispatchesPerStep: number;
  kernels: KernelTime[] | null;
  /** GPU time of the sampled pick (temperature 0.6, top-p 0.95) in one decode step. */
  samplerMs: number | null;
  /** Device memory bandwidth from a large buffer copy (bytes read + written per second). */
  bandwidthBytesPerS: number;
  /** Bytes one decode step reads at 16 tokens of context: every weight but the embedding table, plus the KV cache so far. */
  bytesPerToken: number;
  vocabSize: number;
}


/** Deterministic token ids below the tokenizer's range (any id works for timing). */
export function benchIds(n: number, vocab: number, salt: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7919 + salt * 104729) % Math.min(vocab, 150_000));
}

/** The measurements, on any GPU: the page's navigator.gpu, or Dawn in Node (`gpu`). */
export async function runBench(model: ModelInput, req: BenchRequest, log: (s: string) => void, gpu?: GPU): Promise<BenchResult> {
  const maxPrompt = Math.max(16, ...req.promptLengths);
  const t0 = performance.now();
  const engine = await Engine.load(model, { contextLength: maxPrompt + req.decodeTokens + 2, prefillChunk: req.prefillChunk, gpu, pipelineDecode: !req.serialDecode, attentionSplits: req.attentionSplits, tuning: req.tuning, schedule: req.schedule, activationRounding: req.activationRounding });
  const loadMs = performance.now() - t0;
  const vocab = engine.info.config.vocabSize;
  const greedy = { temperature: 0, stopIds: [] as number[] };
  const drain = async (prompt: number[], maxNewTokens: number, sampling: GenerateOptions = greedy) => {
    const it = engine.generate(prompt, { ...sampling, maxNewTokens });
    for (;;) {
      const r = await it.next();
      if (r.done) return r.value;
    }
  };
  // Warm-up: compiles every pipeline variant (decode, a full prefill chunk and a tail).
  engine.reset();
  await drain(benchIds(Math.min(req.prefillChunk + 3, maxPrompt), vocab, 99), 2);
  const prefill: BenchResult['prefill'] = [];
  for (const n of req.promptLengths) {
    engine.reset();
    const s = await drain(benchIds(n, vocab, n), 1);
    prefill.push({ tokens: n, ms: s.prefillMs, tokensPerS: (n / s.prefillMs) * 1000, ttftMs: s.prefillMs });
    log(`prefill ${n}: ${s.prefillMs.toFixed(0)} ms`);
  }
  const decode: BenchResult['decode'] = [];
  for (const context of [...new Set([16, maxPrompt])]) {
    engine.reset();
    const s = await drain(benchIds(context, vocab, 7), req.decodeTokens);
    const steps = s.generatedTokens - 1;
    decode.push({ context, tokens: steps, ms: s.decodeMs, tokensPerS: (steps / s.decodeMs) * 1000 });
    log(`decode at ${context}: ${((steps / s.decodeMs) * 1000).toFixed(2)} tok/s`);
  }
  engine.reset();
  const sampled = await drain(benchIds(16, vocab, 7), req.decodeTokens, { temperature: 0.6, topP: 0.95, topK: 0, seed: 1, stopIds: [] });
  const sampledSteps = sampled.generatedTokens - 1;
  const decodeSampled = { context: 16, tokens: sampledSteps, ms: sampled.decodeMs, tokensPerS: (sampledSteps / sampled.decodeMs) * 1000 };
  log(`decode at 16, sampled: ${decodeSampled.tokensPerS.toFixed(2)} tok/s`);
  const dispatchesPerStep = engine.decodeStepDispatches;
  const kernels = engine.gpu.hasTimestamps ? await engine.profileDecodeStep() : null;
  // The sampler settings of the sampled run above are still in place.
  const sampledKernels = engine.gpu.hasTimestamps ? await engine.profileDecodeStep('sample') : null;
  // The sampled pick's stages: the kernels of sample.wgsl in that step.
  const samplerStages = sampledKernels?.filter((k) => k.name.startsWith('sample_'));
  const samplerMs = samplerStages?.length ? samplerStages.reduce((t, k) => t + k.ms, 0) : null;
  const bandwidthBytesPerS = await copyBandwidth(engine.gpu.device, log);
  const info = engine.info;
  const prefillGemm = describePrefillGemm(engine.gpu, req.tuning);
  const c = info.config;
  const embedBytes = engine.embeddingBytes;
  const kvPerPos = info.kvCacheBytes / info.contextLength;
  engine.destroy();
  return {
    model: info.name, adapter: info.adapter, prefillGemm, weightBytes: info.weightBytes, kvCacheBytes: info.kvCacheBytes, loadMs, prefill, decode, decodeSampled, dispatchesPerStep, kernels, samplerMs,
    bandwidthBytesPerS,
    bytesPerToken: info.weightBytes - (c.tieEmbeddings ? 0 : embedBytes) + 16 * kvPerPos,
    vocabSize: c.vocabSize,
  };
}

/**
 * Copy bandwidth of the device: a 256 MiB buffer (or the largest the device allows) copied until a
 * second has passed; each copy reads and writes it once.
 */
async function copyBandwidth(device: GPUDevice, log: (s: string) => void): Promise<number> {
  const size = Math.min(256 * 2 ** 20, Math.floor(device.limits.maxBufferSize / 4) * 4);
  const src = device.createBuffer({ size, usage: GPUBufferUsage.COPY_SRC });
  const dst = device.createBuffer({ size, usage: GPUBufferUsage.COPY_DST });
  const copies = async (n: number) => {
    const enc = device.createCommandEncoder();
    for (let i = 0; i < n; i++) enc.copyBufferToBuffer(src, 0, dst, 0, size);
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  try {
    await copies(1); // warm-up
    let n = 1;
    let ms = await copies(n);
    while (ms < 1000 && n < 1024) {
      n *= 2;
      ms = await copies(n);
    }
    const rate = (2 * size * n) / (ms / 1000);
    log(`copy bandwidth: ${(rate / 1e9).toFixed(1)} GB/s (${n} copies of ${size >> 20} MiB in ${ms.toFixed(0)} ms)`);
    return rate;
  } finally {
    src.destroy();
    dst.destroy();
  }
}
