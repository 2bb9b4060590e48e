/**
 * The page side of the worker: the same RuntimeEngine interface as createLocalEngine(), with every
 * call forwarded to the worker and generation streamed back as an AsyncIterable.
 *
 * A worker can die: an uncaught exception, its script ending, the browser killing it (out of memory).
 * Then every call in flight fails with WorkerCrashedError instead of waiting forever, listeners hear
 * `lost` (cause 'worker'), and a new worker starts and loads the last model again (`reloading`, then
 * `recovered` or `recovery-failed`); calls made meanwhile wait for it. A worker that dies while
 * reloading is not restarted by itself (no restart loop): the next call starts a fresh one.
 */
import * as Comlink from 'comlink';
import type { EngineEvent, EngineMemory, GenerationChunk, LoadOptions, RuntimeEngine } from './api.ts';
import type { LoadProgress } from './engine.ts';
import { WorkerCrashedError } from './errors.ts';
import type { ModelInput } from './model-files.ts';
import type { GenerateOptions } from './settings.ts';
import type { WorkerApi } from './worker.ts';
import { rebuildError } from './wire-errors.ts';

export interface WorkerEngine extends RuntimeEngine {
  onEvent(listener: (e: EngineEvent) => void): () => void;
  /** Ends the worker for good: calls in flight and later ones fail. */
  terminate(): void;
  /** Debugging and tests: fail on purpose, and see what the engine holds. */
  debug: {
    /** Destroys the worker's GPU device, as a driver reset would. */
    loseDevice(): Promise<void>;
    /** An uncaught exception in the worker ('throw'), or the worker ending ('exit'). */
    crashWorker(how: 'throw' | 'exit'): void;
    memory(): Promise<EngineMemory>;
  };
}

/** The engine's worker (written this way so that Vite bundles worker.ts). */
export function spawnEngineWorker(): Worker {
  return new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'r1-engine' });
}

/** One started worker. */
interface Running {
  worker: Worker;
  api: Comlink.Remote<WorkerApi>;
  /** Rejects once the worker is gone: raced against every call to it. */
  dead: Promise<never>;
  kill(error: Error): void;
  /** Stopped: its proxy is released, and calling it would throw. */
  gone: boolean;
}

export function createWorkerEngine(spawn: () => Worker = spawnEngineWorker): WorkerEngine {
  let running: Running | null = null;
  /** What to load into a new worker: the last successful load. */
  let lastLoad: { input: ModelInput; opts: LoadOptions } | null = null;
  let restart: Promise<void> | null = null;
  let terminated = false;
  const listeners = new Set<(e: EngineEvent) => void>();
  const emit = (e: EngineEvent) => listeners.forEach((l) => l(e));

  function start(): Running {
    const worker = spawn();
    const api = Comlink.wrap<WorkerApi>(worker);
    let kill!: (e: Error) => void;
    const dead = new Promise<never>((_, reject) => (kill = reject));
    dead.catch(() => {});
    const r: Running = { worker, api, dead, kill, gone: false };
    running = r;
    const fail = (why: string) => {
      if (running !== r) return;
      stop(r, new WorkerCrashedError(`the engine's worker ${why}`));
      const reloading = lastLoad !== null && restart === null;
      emit({ type: 'lost', cause: 'worker', error: { name: 'WorkerCrashedError', message: `the engine's worker ${why}` }, reloading });
      if (reloading) restart = reloadInNewWorker(lastLoad!).finally(() => (restart = null));
    };
    worker.addEventListener('error', (e: ErrorEvent) => {
      fail(e.message ? `failed (${e.message})` : 'could not start: its script did not load');
    });
    if (globalThis.navigator?.locks) {
      const lock = `r1-engine-worker-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      void Promise.race([api.holdLifeLock(lock), dead]).then(
        () => navigator.locks.request(lock, () => fail('ended (closed, or stopped by the browser, for example when memory ran out)')),
        () => {},
      );
    }
    void api.onEvent(Comlink.proxy(emit));
    return r;
  }

  function stop(r: Running, error: Error): void {
    if (running === r) running = null;
    r.gone = true;
    r.kill(error);
    r.api[Comlink.releaseProxy]();
    r.worker.terminate();
  }

  async function reloadInNewWorker(wanted: { input: ModelInput; opts: LoadOptions }): Promise<void> {
    try {
      const r = start();
      const progress = progressUntilSettled((p) => emit({ type: 'reloading', cause: 'worker', progress: p }));
      const info = await Promise.race([r.api.load(wanted.input, wanted.opts, progress.proxy), r.dead]).finally(progress.settle);
      emit({ type: 'recovered', cause: 'worker', info });
    } catch (e) {
      lastLoad = null;
      const err = rebuildError(e);
      emit({ type: 'recovery-failed', cause: 'worker', error: { name: err.name, message: err.message } });
    }
  }

  /** The worker to call: waits for a restart under way, starts one when none runs. */
  async function use(): Promise<Running> {
    if (terminated) throw new WorkerCrashedError('this engine was terminated: create a new one');
    await restart;
    return running ?? start();
  }

  const call = async <T>(f: (api: Comlink.Remote<WorkerApi>, worker: Running) => Promise<T>): Promise<T> => {
    const r = await use();
    try {
      return await Promise.race([f(r.api, r), r.dead]);
    } catch (e) {
      throw rebuildError(e);
    }
  };

  return {
    async load(input, opts = {}, onProgress) {
      const { signal, ...wanted } = opts;
      lastLoad = null;
      const progress = onProgress && progressUntilSettled(onProgress);
      let stopListening = () => {};
      const info = await call((api, r) => {
        const abort = () => void (r.gone || api.abortLoad());
        signal?.addEventListener('abort', abort);
        stopListening = () => signal?.removeEventListener('abort', abort);
        const loading = api.load(input, wanted, progress?.proxy);
        // Sent after the load, so the worker has begun it: it lets go of its model and stops.
        if (signal?.aborted) abort();
        return loading;
      }).finally(() => {
        stopListening();
        progress?.settle();
      });
      lastLoad = { input, opts: wanted };
      return info;
    },
    // A signal cannot cross to the worker, and a plan reads only headers: it is not stopped.
    plan: (input, { signal: _, ...opts } = {}) => call((api) => api.plan(input, opts)),
    renderChat: (messages, add) => call((api) => api.renderChat(messages, add)),
    encode: (text, opts) => call((api) => api.encode(text, opts)),
    decode: (ids) => call((api) => api.decode(ids)),
    generate: (promptIds, opts = {}) => streamFromWorker(use, promptIds, opts),
    reset: () => call((api) => api.reset()),
    async unload() {
      lastLoad = null;
      await call((api) => api.unload());
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    terminate() {
      terminated = true;
      if (running) stop(running, new WorkerCrashedError('the engine was terminated'));
    },
    debug: {
      loseDevice: () => call((api) => api.debugLoseDevice()),
      crashWorker(how) {
        // Not awaited: an ending worker never answers.
        if (running) void running.api.debugCrash(how);
      },
      memory: () => call((api) => api.debugMemory()),
    },
  };
}

/**
 * A load's progress callback for the worker. Its calls come over a message channel of their own, so
 * the last one, sent just before the load returned, may arrive after the result: once the call has
 * settled, `settle()` drops them (a stale "Loading…" must not follow "loaded").
 */
export function progressUntilSettled(onProgress: (p: LoadProgress) => void): { proxy: (p: LoadProgress) => void; settle: () => void } {
  let settled = false;
  return {
    proxy: Comlink.proxy((p: LoadProgress) => {
      if (!settled) onProgress(p);
    }),
    settle: () => void (settled = true),
  };
}

/** Turns the worker's push callbacks into a pull-based async iterator. */
async function* streamFromWorker(use: () => Promise<Running>, promptIds: number[], opts: GenerateOptions): AsyncGenerator<GenerationChunk> {
  const { signal, ...rest } = opts;
  const r = await use();
  const queue: GenerationChunk[] = [];
  let wake: (() => void) | null = null;
  let finished = false;
  let failure: unknown = null;
  const abort = () => {
    if (!r.gone) void r.api.abort();
  };
  const onAbort = () => {
    if (!finished) abort();
  };
  signal?.addEventListener('abort', onAbort);
  if (signal?.aborted) onAbort();
  const done = Promise.race([
    r.api.generate(
      promptIds,
      rest,
      Comlink.proxy((c: GenerationChunk) => {
        queue.push(c);
        wake?.();
      }),
    ),
    r.dead,
  ]).then(
    () => (finished = true),
    (e) => ((failure = rebuildError(e)), (finished = true)),
  );
  void done.then(() => wake?.());
  try {
    for (;;) {
      if (queue.length) {
        yield queue.shift()!;
        continue;
      }
      if (finished) break;
      await new Promise<void>((res) => (wake = res));
      wake = null;
    }
    if (failure) throw failure;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!finished) abort();
  }
}
