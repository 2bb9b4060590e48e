import { adapterBindingLimit } from '../gpu/device.ts';
import { GpuDeviceLostError } from '../gpu/errors.ts';
import { createStreamDecoder } from '../text/stream-decoder.ts';
import type { EngineEvent, EngineMemory, ErrorInfo, GenerationChunk, LoadOptions, ModelInfo, RuntimeEngine } from './api.ts';
import { Engine, type LoadProgress } from './engine.ts';
import { openModel, type ModelBundle, type ModelInput } from './model-files.ts';
import { planLoad } from './plan.ts';
import { renderPrompt } from './prompt.ts';
import type { GenerateOptions } from './settings.ts';

export class EngineNotLoadedError extends Error {
  override name = 'EngineNotLoadedError';
}

/** The in-thread engine, with what tests and debugging may ask of it. */
export interface LocalEngine extends RuntimeEngine {
  onEvent(listener: (e: EngineEvent) => void): () => void;
  debug: {
    /** Destroys the GPU device from outside, as a driver reset would: the engine recovers as from a real loss. */
    loseDevice(): Promise<void>;
    memory(): EngineMemory;
  };
}

/**
 * The engine in the calling thread (the worker uses it; so do scripts). When the GPU device is lost
 * it says so (`lost`), then loads the model again on a new device from the same bundle (the same
 * URL or Files) and says `recovered`; a generation running at that moment fails with
 * GpuDeviceLostError, and calls made meanwhile wait for the reload.
 */
export function createLocalEngine(gpu?: GPU): LocalEngine {
  let bundle: ModelBundle | null = null;
  let engine: Engine | null = null;
  let loadOpts: LoadOptions = {};
  /** The reload after a lost device, while it runs. */
  let recovery: Promise<void> | null = null;
  /** Why the model is gone when a reload after a lost device failed. */
  let recoveryError: ErrorInfo | null = null;
  const listeners = new Set<(e: EngineEvent) => void>();
  const emit = (e: EngineEvent) => listeners.forEach((l) => l(e));

  const text = () => {
    if (!bundle) throw new EngineNotLoadedError('no model is loaded: call load() first');
    return bundle;
  };
  const loaded = () => {
    if (recoveryError) {
      throw new GpuDeviceLostError(`the GPU device was lost and the model could not be loaded again (${recoveryError.message}): load it again`);
    }
    if (!engine) {
      throw new EngineNotLoadedError(bundle ? 'the model was opened for text only: load it with its weights first' : 'no model is loaded: call load() first');
    }
    return engine;
  };
  const infoOf = (e: Engine, b: ModelBundle): ModelInfo => ({
    ...e.info,
    generation: b.generation,
    hasChatTemplate: b.chatTemplate !== null,
    bosId: b.tokenizer.bosId,
  });

  // ---- device loss ----

  /** Engines whose device was lost, with the reason. */
  const lostEngines = new WeakMap<Engine, string>();
  const watch = (e: Engine) => {
    void e.lost.then((reason) => {
      if (reason === null) return;
      lostEngines.set(e, reason);
      if (engine !== e) return;
      engine = null;
      e.destroy();
      emit({ type: 'lost', cause: 'device', error: { name: 'GpuDeviceLostError', message: reason }, reloading: true });
      recovery = reload(bundle!).finally(() => (recovery = null));
    });
  };

  async function reload(b: ModelBundle): Promise<void> {
    try {
      const e = await Engine.load(b, { ...loadOpts, gpu, onProgress: (progress) => emit({ type: 'reloading', cause: 'device', progress }) });
      engine = e;
      watch(e);
      emit({ type: 'recovered', cause: 'device', info: infoOf(e, b) });
    } catch (err) {
      recoveryError = { name: (err as Error).name ?? 'Error', message: (err as Error).message ?? String(err) };
      emit({ type: 'recovery-failed', cause: 'device', error: recoveryError });
    }
  }

  return {
    async load(input: ModelInput, opts: LoadOptions = {}, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
      const { signal, ...wanted } = opts;
      await recovery;
      engine?.destroy();
      engine = null;
      bundle = null;
      recoveryError = null;
      const b = await openModel(input);
      bundle = b;
      if (opts.textOnly) {
        const base = { generation: b.generation, hasChatTemplate: b.chatTemplate !== null, bosId: b.tokenizer.bosId };
        return { ...base, name: b.name, format: b.format, config: b.config, adapter: '', weightBytes: 0, kvCacheBytes: 0, activationBytes: 0, contextLength: 0 };
      }
      // Kept for a reload after a lost device, which no signal can stop.
      loadOpts = wanted;
      try {
        engine = await Engine.load(b, { ...wanted, gpu, onProgress, signal });
      } catch (e) {
        // A load that failed or was stopped leaves no model, not one half there (text without weights).
        bundle = null;
        throw e;
      }
      watch(engine);
      return infoOf(engine, b);
    },
    async plan(input: ModelInput, opts: LoadOptions = {}) {
      return planLoad(await openModel(input), opts, await adapterBindingLimit(gpu));
    },
    async renderChat(messages, addGenerationPrompt = true) {
      return renderPrompt(text(), messages, addGenerationPrompt);
    },
    async encode(s, opts = {}) {
      return text().tokenizer.encode(s, { addSpecialTokens: opts.raw ?? false });
    },
    async decode(ids) {
      return text().tokenizer.decode(ids);
    },
    async *generate(promptIds: number[], opts: GenerateOptions = {}): AsyncGenerator<GenerationChunk> {
      await recovery;
      const e = loaded();
      const continued = promptIds.slice(promptIds.length - Math.min(opts.continuesIds ?? 0, promptIds.length));
      const decoder = createStreamDecoder(e.bundle.tokenizer, continued);
      const it = e.generate(promptIds, opts);
      for (;;) {
        let r: Awaited<ReturnType<typeof it.next>>;
        try {
          r = await it.next();
        } catch (err) {
          // A map or submission can fail before the loss is known: the lost device is the news.
          if (err instanceof GpuDeviceLostError || lostEngines.has(e)) {
            // Settled: a GpuDeviceLostError is only thrown once the loss is known.
            const why = ((await e.lost) ?? 'the model was unloaded').replace(/\.$/, '');
            throw new GpuDeviceLostError(`the GPU device was lost during this answer (${why}); the model is being loaded again on a new device: ask again when it is ready`);
          }
          throw err;
        }
        if (r.done) {
          const tail = decoder.flush();
          if (tail) yield { type: 'token', id: -1, pos: -1, text: tail };
          yield { type: 'done', stats: r.value };
          return;
        }
        yield { type: 'token', id: r.value.id, pos: r.value.pos, text: r.value.eos ? '' : decoder.push(r.value.id) };
      }
    },
    async reset() {
      engine?.reset();
    },
    async unload() {
      await recovery;
      engine?.destroy();
      engine = null;
      bundle = null;
      recoveryError = null;
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    debug: {
      async loseDevice() {
        const e = loaded();
        e.gpu.device.destroy();
        // Resolves after watch() heard it: calls made next wait for the reload.
        await e.lost;
      },
      memory() {
        const m = engine?.gpu.memory;
        return { gpuLiveBytes: m?.liveBytes ?? 0, gpuLiveBuffers: m?.liveBuffers ?? 0, gpuPeakBytes: m?.peakBytes ?? 0 };
      },
    },
  };
}
