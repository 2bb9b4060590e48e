/**
 * The peer in `npm run bench -- --llama-cpp cpu|vulkan|cuda`: the same GGUF through llama.cpp
 * (node-llama-cpp's prebuilt builds), timed on the same prompt lengths and decode contexts as the
 * engine, so one run prints both and their ratio.
 */
import { llamaCppTiming, loadLlamaCppOn, type LlamaCppBackend } from '../lib/llama-cpp.ts';
import { benchIds, type BenchRequest } from './run.ts';

export interface PeerResult {
  name: string;
  /** The GPUs llama.cpp runs on; empty when it runs on the CPU (also a GPU build that found none). */
  devices: string[];
  prefill: { tokens: number; tokensPerS: number }[];
  decode: { context: number; tokensPerS: number }[];
  /** Why it did not run (then prefill and decode are empty). */
  error?: string;
}

export async function runLlamaCppBench(file: string, req: BenchRequest, backend: LlamaCppBackend, vocab: number, log: (s: string) => void): Promise<PeerResult> {
  const { model, devices } = await loadLlamaCppOn(file, backend);
  log(`llama.cpp ${backend} runs on ${devices.join(', ') || 'the CPU'}`);
  try {
    const maxPrompt = Math.max(16, ...req.promptLengths);
    await llamaCppTiming(model, benchIds(8, vocab, 99), 2); // warm-up
    const prefill: PeerResult['prefill'] = [];
    for (const n of req.promptLengths) {
      const t = await llamaCppTiming(model, benchIds(n, vocab, n), 1);
      prefill.push({ tokens: n, tokensPerS: (n / t.prefillMs) * 1000 });
      log(`llama.cpp ${backend} prefill ${n}: ${t.prefillMs.toFixed(0)} ms`);
    }
    const decode: PeerResult['decode'] = [];
    for (const context of [...new Set([16, maxPrompt])]) {
      const t = await llamaCppTiming(model, benchIds(context, vocab, 7), req.decodeTokens);
      decode.push({ context, tokensPerS: (t.decoded / t.decodeMs) * 1000 });
      log(`llama.cpp ${backend} decode at ${context}: ${((t.decoded / t.decodeMs) * 1000).toFixed(2)} tok/s`);
    }
    return { name: `llama.cpp ${backend}`, devices, prefill, decode };
  } finally {
    await model.dispose();
  }
}
