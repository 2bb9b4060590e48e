import type { RuntimeEngine } from '../../src/engine/api.ts';
import type { ModelInput } from '../../src/engine/model-files.ts';
import type { QuantizeMode } from '../../src/formats/quant/on-load.ts';
import type { ChatMessage } from '../../src/text/chat-template.ts';

/** What `npm run generate` asks for, after flag parsing. */
export interface CliRequest {
  model: string;
  prompt?: string;
  messages?: ChatMessage[];
  raw: boolean;
  maxNewTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  contextLength?: number;
  quantize?: QuantizeMode;
  activationRounding?: 'checkpoint' | 'off';
  dryRun: boolean;
}

export interface CliResult {
  model: string;
  format: string;
  adapter: string;
  prompt: string;
  prompt_ids: number[];
  ids: number[];
  text: string;
  finish_reason?: string;
  /** GPU bytes of the weights as stored there, and of the KV cache. */
  gpu_bytes?: { weights: number; kv_cache: number };
  timings: { load_ms: number; prefill_ms?: number; decode_ms?: number; prefill_tokens_per_s?: number; decode_tokens_per_s?: number | null };
}

/**
 * One generation as the CLI runs it, on any RuntimeEngine (the worker in Chromium, or Dawn in Node):
 * load, render the chat template unless --raw, tokenize, generate, stream text through `onText`.
 */
export async function runGenerate(
  engine: RuntimeEngine,
  model: ModelInput,
  req: CliRequest,
  onText: (s: string) => void,
  onProgress: (s: string) => void,
): Promise<CliResult> {
  const t0 = performance.now();
  let lastReport = 0;
  const info = await engine.load(model, { contextLength: req.contextLength, quantize: req.quantize, activationRounding: req.activationRounding, textOnly: req.dryRun }, (p) => {
    const now = performance.now();
    if (now - lastReport > 1000 || p.phase === 'ready') {
      lastReport = now;
      onProgress(`${p.phase} ${(p.loadedBytes / 2 ** 20).toFixed(1)} / ${(p.totalBytes / 2 ** 20).toFixed(1)} MiB`);
    }
  });
  const loadMs = performance.now() - t0;
  const prompt = req.raw
    ? (req.prompt ?? '')
    : await engine.renderChat(req.messages ?? [{ role: 'user', content: req.prompt ?? '' }], true);
  const promptIds = await engine.encode(prompt, { raw: req.raw });
  const base = { model: info.name, format: info.format, adapter: info.adapter, prompt, prompt_ids: promptIds };
  const gpuBytes = { weights: info.weightBytes, kv_cache: info.kvCacheBytes };
  if (req.dryRun) return { ...base, ids: [], text: '', timings: { load_ms: loadMs } };
  const ids: number[] = [];
  let text = '';
  for await (const chunk of engine.generate(promptIds, {
    maxNewTokens: req.maxNewTokens,
    temperature: req.temperature,
    topP: req.topP,
    topK: req.topK,
    seed: req.seed,
  })) {
    if (chunk.type === 'done') {
      const s = chunk.stats;
      return {
        ...base,
        ids,
        text,
        finish_reason: s.finishReason,
        gpu_bytes: gpuBytes,
        timings: {
          load_ms: loadMs,
          prefill_ms: s.prefillMs,
          decode_ms: s.decodeMs,
          prefill_tokens_per_s: (s.prefilledTokens / s.prefillMs) * 1000,
          // The first token comes out of prefill; decode steps produce the rest.
          decode_tokens_per_s: s.generatedTokens > 1 ? ((s.generatedTokens - 1) / s.decodeMs) * 1000 : null,
        },
      };
    }
    if (chunk.id >= 0) ids.push(chunk.id);
    text += chunk.text;
    if (chunk.text) onText(chunk.text);
  }
  throw new Error('generation ended without its statistics');
}
