/**
 * The browser half of `npm run generate`: the real worker engine, driven by the Node script through
 * Playwright. Text streams back through `window.cliToken` as it is generated.
 */
import { createWorkerEngine } from '../../src/engine/client.ts';
import type { ChatMessage } from '../../src/text/chat-template.ts';

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
  timings: { load_ms: number; prefill_ms?: number; decode_ms?: number; prefill_tokens_per_s?: number; decode_tokens_per_s?: number | null };
}

declare global {
  interface Window {
    cliRun(req: CliRequest): Promise<CliResult>;
    cliToken?(text: string): Promise<void>;
    cliProgress?(text: string): Promise<void>;
  }
}

window.cliRun = async (req) => {
  const engine = createWorkerEngine();
  const t0 = performance.now();
  let lastReport = 0;
  const info = await engine.load(req.model, { contextLength: req.contextLength, textOnly: req.dryRun }, (p) => {
    const now = performance.now();
    if (now - lastReport > 1000 || p.phase === 'ready') {
      lastReport = now;
      void window.cliProgress?.(`${p.phase} ${(p.loadedBytes / 2 ** 20).toFixed(1)} / ${(p.totalBytes / 2 ** 20).toFixed(1)} MiB`);
    }
  });
  const loadMs = performance.now() - t0;
  let prompt: string;
  if (req.raw) prompt = req.prompt ?? '';
  else prompt = await engine.renderChat(req.messages ?? [{ role: 'user', content: req.prompt ?? '' }], true);
  const promptIds = await engine.encode(prompt, { raw: req.raw });
  const base = { model: info.name, format: info.format, adapter: info.adapter, prompt, prompt_ids: promptIds };
  if (req.dryRun) return { ...base, ids: [], text: '', timings: { load_ms: loadMs } };
  const ids: number[] = [];
  let text = '';
  let stats: Record<string, number | string> = {};
  for await (const chunk of engine.generate(promptIds, {
    maxNewTokens: req.maxNewTokens,
    temperature: req.temperature,
    topP: req.topP,
    topK: req.topK,
    seed: req.seed,
  })) {
    if (chunk.type === 'done') {
      stats = { ...chunk.stats };
      break;
    }
    if (chunk.id >= 0) ids.push(chunk.id);
    text += chunk.text;
    if (chunk.text) await window.cliToken?.(chunk.text);
  }
  const s = stats as { prefillMs: number; decodeMs: number; prefilledTokens: number; generatedTokens: number; finishReason: string };
  return {
    ...base,
    ids,
    text,
    finish_reason: s.finishReason,
    timings: {
      load_ms: loadMs,
      prefill_ms: s.prefillMs,
      decode_ms: s.decodeMs,
      prefill_tokens_per_s: (s.prefilledTokens / s.prefillMs) * 1000,
      // The first token comes out of prefill; decode steps produce the rest.
      decode_tokens_per_s: s.generatedTokens > 1 ? ((s.generatedTokens - 1) / s.decodeMs) * 1000 : null,
    },
  };
};
