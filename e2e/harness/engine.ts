/**
 * Engine-level helpers for the Playwright tests: load a model from a URL in this page, read logits
 * back (the debug path), and run generation through the Web Worker as the app does.
 */
import type { QuantizeMode } from '../../src/formats/quant/on-load.ts';
import type { KvDtype } from '../../src/model/kv-cache.ts';
import { Engine } from '../../src/engine/engine.ts';
import { createWorkerEngine } from '../../src/engine/client.ts';
import type { GenerateOptions } from '../../src/engine/settings.ts';

function toBase64(a: Float32Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * Logits after each prefix length in `upTo` (ascending): the first is a chunked prefill, the later
 * ones reuse the cache and run only the new tokens (step-by-step decode when they differ by one).
 */
export async function logitsAt(c: { url: string; ids: number[]; upTo: number[]; prefillChunk?: number; capBindingBytes?: number; quantize?: QuantizeMode; kvCache?: KvDtype; attentionSplits?: number; schedule?: 'gpu' | 'cpu'; activationRounding?: 'checkpoint' | 'off' }) {
  const engine = await Engine.load(c.url, {
    prefillChunk: c.prefillChunk,
    capBindingBytes: c.capBindingBytes,
    contextLength: 256,
    quantize: c.quantize,
    kvCache: c.kvCache,
    attentionSplits: c.attentionSplits,
    schedule: c.schedule,
    activationRounding: c.activationRounding,
  });
  try {
    const out: string[] = [];
    for (const n of c.upTo) out.push(toBase64(await engine.logits(c.ids.slice(0, n))));
    return { logits: out, info: engine.info, gpuLiveBytes: engine.gpu.memory.liveBytes };
  } finally {
    engine.destroy();
  }
}

/** Greedy or sampled generation through the worker, as the app and CLI run it. */
export async function generateIds(c: { url: string; ids: number[]; opts: GenerateOptions }) {
  const engine = createWorkerEngine();
  try {
    await engine.load(c.url, { contextLength: 256 });
    const ids: number[] = [];
    let text = '';
    let stats: unknown = null;
    for await (const chunk of engine.generate(c.ids, c.opts)) {
      if (chunk.type === 'done') stats = chunk.stats;
      else {
        if (chunk.id >= 0) ids.push(chunk.id);
        text += chunk.text;
      }
    }
    return { ids, text, stats };
  } finally {
    engine.terminate();
  }
}

/** Tokenizes a rendered prompt (no special tokens added) and generates, through the worker: ids and text. */
export async function encodeAndGenerate(c: { url: string; prompt: string; opts: GenerateOptions }) {
  const engine = createWorkerEngine();
  try {
    await engine.load(c.url, { contextLength: 256 });
    const promptIds = await engine.encode(c.prompt);
    const ids: number[] = [];
    let text = '';
    for await (const chunk of engine.generate(promptIds, c.opts)) {
      if (chunk.type !== 'token') continue;
      if (chunk.id >= 0) ids.push(chunk.id);
      text += chunk.text;
    }
    return { promptIds, ids, text };
  } finally {
    engine.terminate();
  }
}

/** Tokenizes a rendered prompt (no special tokens added) through the worker, the weights left unread. */
export async function encodeOnly(c: { url: string; prompt: string }) {
  const engine = createWorkerEngine();
  try {
    await engine.load(c.url, { textOnly: true });
    return await engine.encode(c.prompt);
  } finally {
    engine.terminate();
  }
}

/** Loading errors as the page sees them: name and message. */
export async function loadError(c: { url: string }) {
  const engine = createWorkerEngine();
  try {
    await engine.load(c.url, { contextLength: 64 });
    return null;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  } finally {
    engine.terminate();
  }
}

/**
 * Several generate() calls in a row on one in-page engine (cache reuse between them), each with its
 * own options: token ids and finish reason per call.
 */
export async function generateRuns(c: { url: string; contextLength: number; pipelineDecode: boolean; runs: { ids: number[]; opts: GenerateOptions; abortAfter?: number }[] }) {
  const engine = await Engine.load(c.url, { contextLength: c.contextLength, pipelineDecode: c.pipelineDecode });
  try {
    const out: { ids: number[]; finishReason: string }[] = [];
    for (const run of c.runs) {
      const abort = new AbortController();
      const ids: number[] = [];
      const gen = engine.generate(run.ids, { ...run.opts, signal: abort.signal });
      let r = await gen.next();
      while (!r.done) {
        ids.push(r.value.id);
        if (ids.length === run.abortAfter) abort.abort();
        r = await gen.next();
      }
      out.push({ ids, finishReason: r.value.finishReason });
    }
    return out;
  } finally {
    engine.destroy();
  }
}
