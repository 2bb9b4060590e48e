/// <reference lib="webworker" />
/**
 * The Web Worker that owns the GPU device: load, prefill and the decode loop run here, off the
 * page's main thread. The page talks to it through client.ts (comlink).
 */
import * as Comlink from 'comlink';
import type { EngineEvent, GenerationChunk, LoadOptions } from './api.ts';
import type { LoadProgress } from './engine.ts';
import { createLocalEngine } from './local.ts';
import type { ModelInput } from './model-files.ts';
import type { GenerateOptions } from './settings.ts';
import type { ChatMessage } from '../text/chat-template.ts';

const engine = createLocalEngine();
let current: AbortController | null = null;
let loading: AbortController | null = null;
/** Held once the page can see this worker end (holdLifeLock): loads wait for it, so a worker that dies while loading is always noticed. */
let lifeLock: Promise<void> | null = null;

export const workerApi = {
  async load(input: ModelInput, opts: Omit<LoadOptions, 'signal'>, onProgress?: (p: LoadProgress) => void) {
    // Set before the first await: an abortLoad() sent right after this call finds it.
    const controller = (loading = new AbortController());
    try {
      await lifeLock;
      return await engine.load(input, { ...opts, signal: controller.signal }, onProgress);
    } finally {
      if (loading === controller) loading = null;
    }
  },
  /** Stops the load under way (a signal cannot cross to the worker: the page's client calls this). */
  abortLoad: () => loading?.abort(),
  plan: (input: ModelInput, opts: LoadOptions) => engine.plan(input, opts),
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
  /** Device losses and recoveries, pushed to the page. */
  onEvent: (listener: (e: EngineEvent) => void) => void engine.onEvent(listener),
  /**
   * Holds the Web Lock `name` for as long as this worker lives, resolving once it is held: the page
   * asks for the same lock and gets it when the worker ends, however it ends (a closed or killed
   * worker fires no event on the page).
   */
  holdLifeLock: (name: string) =>
    (lifeLock = new Promise<void>((held) => {
      void navigator.locks.request(name, () => {
        held();
        return new Promise<never>(() => {});
      });
    })),
  // ---- debugging and tests ----
  debugLoseDevice: () => engine.debug.loseDevice(),
  debugMemory: () => engine.debug.memory(),
  /** Fails as a bug would: an exception thrown outside any call ('throw'), or the worker ending ('exit'). */
  debugCrash(how: 'throw' | 'exit') {
    if (how === 'exit') self.close();
    else {
      setTimeout(() => {
        throw new Error('injected failure: the worker threw outside any call');
      });
    }
  },
};

export type WorkerApi = typeof workerApi;

Comlink.expose(workerApi);
