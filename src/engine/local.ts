import { createStreamDecoder } from '../text/stream-decoder.ts';
import type { GenerationChunk, LoadOptions, ModelInfo, RuntimeEngine } from './api.ts';
import { Engine, type LoadProgress } from './engine.ts';
import { openModel, type ModelBundle, type ModelInput } from './model-files.ts';
import { renderPrompt } from './prompt.ts';
import type { GenerateOptions } from './settings.ts';

export class EngineNotLoadedError extends Error {
  override name = 'EngineNotLoadedError';
}

/** The engine in the calling thread (the worker uses it; so do scripts). */
export function createLocalEngine(gpu?: GPU): RuntimeEngine {
  let bundle: ModelBundle | null = null;
  let engine: Engine | null = null;
  const text = () => {
    if (!bundle) throw new EngineNotLoadedError('no model is loaded: call load() first');
    return bundle;
  };
  const loaded = () => {
    if (!engine) throw new EngineNotLoadedError('the model was opened for text only (or not at all): load it with its weights first');
    return engine;
  };
  return {
    async load(input: ModelInput, opts: LoadOptions = {}, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
      engine?.destroy();
      engine = null;
      bundle = await openModel(input);
      const b = bundle;
      const base = { generation: b.generation, hasChatTemplate: b.chatTemplate !== null, bosId: b.tokenizer.bosId };
      if (opts.textOnly) {
        return { ...base, name: b.name, format: b.format, config: b.config, adapter: '', weightBytes: 0, kvCacheBytes: 0, contextLength: 0 };
      }
      engine = await Engine.load(b, { ...opts, gpu, onProgress });
      return { ...engine.info, ...base };
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
      const e = loaded();
      const decoder = createStreamDecoder(e.bundle.tokenizer);
      const it = e.generate(promptIds, opts);
      for (;;) {
        const r = await it.next();
        if (r.done) {
          const tail = decoder.flush();
          if (tail) yield { type: 'token', id: -1, pos: -1, text: tail };
          yield { type: 'done', stats: r.value };
          return;
        }
        yield { type: 'token', id: r.value.id, pos: r.value.pos, text: decoder.push(r.value.id) };
      }
    },
    async reset() {
      engine?.reset();
    },
    async unload() {
      engine?.destroy();
      engine = null;
      bundle = null;
    },
  };
}
