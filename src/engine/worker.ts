/// <reference lib="webworker" />
/**
 * The Web Worker that owns the GPU device: load, prefill and the decode loop run here, off the
 * page's main thread. The page talks to it through client.ts (comlink).
 */
import * as Comlink from 'comlink';
import type { GenerationChunk, LoadOptions } from './api.ts';
import type { LoadProgress } from './engine.ts';
import { createLocalEngine } from './local.ts';
import type { ModelInput } from './model-files.ts';
import type { GenerateOptions } from './settings.ts';
import type { ChatMessage } from '../text/chat-template.ts';

const engine = createLocalEngine();
let current: AbortController | null = null;

export const workerApi = {
  load: (input: ModelInput, opts: LoadOptions, onProgress?: (p: LoadProgress) => void) => engine.load(input, opts, onProgress),
  renderChat: (messages: ChatMessage[], addGenerationPrompt?: boolean) => engine.renderChat(messages, addGenerationPrompt),
  encode: (text: string, opts?: { raw?: boolean }) => engine.encode(text, opts),
  decode: (ids: number[]) => engine.decode(ids),
  /** Streams chunks through `onChunk` (awaited: back-pressure); resolves when generation ends. */
  async generate(promptIds: number[], opts: Omit<GenerateOptions, 'signal'>, onChunk: (c: GenerationChunk) => void): Promise<void> {
    current?.abort();
    const controller = (current = new AbortController());
    try {
      for await (const chunk of engine.generate(promptIds, { ...opts, signal: controller.signal })) await onChunk(chunk);
    } finally {
      if (current === controller) current = null;
    }
  },
  abort: () => current?.abort(),
  reset: () => engine.reset(),
  unload: () => engine.unload(),
};

export type WorkerApi = typeof workerApi;

Comlink.expose(workerApi);
