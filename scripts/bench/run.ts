/**
 * `npm run bench`'s measurements: load a model with the engine, then prefill at each prompt length,
 * time to first token, decode at short and long context, and GPU time per kernel.
 */
import { Engine } from '../../src/engine/engine.ts';
import type { ModelInput } from '../../src/engine/model-files.ts';
import type { KernelTime } from '../../src/gpu/profiler.ts';

export interface BenchRequest {
  promptLengths: number[];
  decodeTokens: number;
  prefillChunk: number;
}

export interface BenchResult {
  model: string;
  adapter: string;
  weightBytes: number;
  kvCacheBytes: number;
  loadMs: number;
  prefill: { tokens: number; ms: number; tokensPerS: number; ttftMs: number }[];
  decode: { context: number; tokens: number; ms: number; tokensPerS: number }[];
  kernels: KernelTime[] | null;
}


/** Deterministic token ids below the tokenizer's range (any id works for timing). */
function ids(n: number, vocab: number, salt: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7919 + salt * 104729) % Math.min(vocab, 150_000));
}

/** The measurements, on any GPU: the page's navigator.gpu, or Dawn in Node (`gpu`). */
export async function runBench(model: ModelInput, req: BenchRequest, log: (s: string) => void, gpu?: GPU): Promise<BenchResult> {
  const maxPrompt = Math.max(16, ...req.promptLengths);
  const t0 = performance.now();
  const engine = await Engine.load(model, { contextLength: maxPrompt + req.decodeTokens + 2, prefillChunk: req.prefillChunk, gpu });
  const loadMs = performance.now() - t0;
  const vocab = engine.info.config.vocabSize;
  const greedy = { temperature: 0, stopIds: [] as number[] };
  const drain = async (prompt: number[], maxNewTokens: number) => {
    const it = engine.generate(prompt, { ...greedy, maxNewTokens });
    for (;;) {
      const r = await it.next();
      if (r.done) return r.value;
    }
  };
  // Warm-up: compiles every pipeline variant (decode, a full prefill chunk and a tail).
  engine.reset();
  await drain(ids(Math.min(req.prefillChunk + 3, maxPrompt), vocab, 99), 2);
  const prefill: BenchResult['prefill'] = [];
  for (const n of req.promptLengths) {
    engine.reset();
    const s = await drain(ids(n, vocab, n), 1);
    prefill.push({ tokens: n, ms: s.prefillMs, tokensPerS: (n / s.prefillMs) * 1000, ttftMs: s.prefillMs });
    log(`prefill ${n}: ${s.prefillMs.toFixed(0)} ms`);
  }
  const decode: BenchResult['decode'] = [];
  for (const context of [16, maxPrompt]) {
    engine.reset();
    const s = await drain(ids(context, vocab, 7), req.decodeTokens);
    const steps = s.generatedTokens - 1;
    decode.push({ context, tokens: steps, ms: s.decodeMs, tokensPerS: (steps / s.decodeMs) * 1000 });
    log(`decode at ${context}: ${((steps / s.decodeMs) * 1000).toFixed(2)} tok/s`);
  }
  const kernels = engine.gpu.hasTimestamps ? await engine.profileDecodeStep() : null;
  const info = engine.info;
  engine.destroy();
  return { model: info.name, adapter: info.adapter, weightBytes: info.weightBytes, kvCacheBytes: info.kvCacheBytes, loadMs, prefill, decode, kernels };
}
