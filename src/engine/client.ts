/**
 * The page side of the worker: the same RuntimeEngine interface as createLocalEngine(), with every
 * call forwarded to the worker and generation streamed back as an AsyncIterable.
 */
import * as Comlink from 'comlink';
import type { GenerationChunk, RuntimeEngine } from './api.ts';
import type { GenerateOptions } from './settings.ts';
import type { WorkerApi } from './worker.ts';
import { rebuildError } from './wire-errors.ts';

export function createWorkerEngine(worker?: Worker): RuntimeEngine & { terminate(): void } {
  const w = worker ?? new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'r1-engine' });
  const api = Comlink.wrap<WorkerApi>(w);
  const call = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      throw rebuildError(e);
    }
  };
  return {
    load: (input, opts = {}, onProgress) => call(api.load(input, opts, onProgress ? Comlink.proxy(onProgress) : undefined)),
    renderChat: (messages, add) => call(api.renderChat(messages, add)),
    encode: (text, opts) => call(api.encode(text, opts)),
    decode: (ids) => call(api.decode(ids)),
    generate: (promptIds, opts = {}) => streamFromWorker(api, promptIds, opts, call),
    reset: () => call(api.reset()),
    unload: () => call(api.unload()),
    terminate: () => {
      api[Comlink.releaseProxy]();
      w.terminate();
    },
  };
}

/** Turns the worker's push callbacks into a pull-based async iterator. */
async function* streamFromWorker(
  api: Comlink.Remote<WorkerApi>,
  promptIds: number[],
  opts: GenerateOptions,
  call: <T>(p: Promise<T>) => Promise<T>,
): AsyncGenerator<GenerationChunk> {
  const { signal, ...rest } = opts;
  const queue: GenerationChunk[] = [];
  let wake: (() => void) | null = null;
  let finished = false;
  let failure: unknown = null;
  const onAbort = () => void api.abort();
  signal?.addEventListener('abort', onAbort);
  if (signal?.aborted) onAbort();
  const done = call(
    api.generate(
      promptIds,
      rest,
      Comlink.proxy((c: GenerationChunk) => {
        queue.push(c);
        wake?.();
      }),
    ),
  ).then(
    () => (finished = true),
    (e) => ((failure = e), (finished = true)),
  );
  void done.then(() => wake?.());
  try {
    for (;;) {
      if (queue.length) {
        yield queue.shift()!;
        continue;
      }
      if (finished) break;
      await new Promise<void>((r) => (wake = r));
      wake = null;
    }
    if (failure) throw failure;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!finished) void api.abort();
  }
}
