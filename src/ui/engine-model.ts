/**
 * Which model each engine holds. Chat elements that share an engine and name the same model load
 * it once; the app loads through here too, so an element handed a loaded engine knows the model's
 * context length and sampling defaults. Loads queue behind running generations (engine-lock.ts).
 */
import type { LoadOptions, ModelInfo, RuntimeEngine } from '../engine/api.ts';
import type { LoadProgress } from '../engine/engine.ts';
import type { ModelInput } from '../engine/model-files.ts';
import { withEngineLock } from './engine-lock.ts';

interface Held {
  input: ModelInput;
  opts: LoadOptions;
  info: Promise<ModelInfo>;
  /** Emptied when the load settles: later callers get no progress to hear. */
  listeners: Set<(p: LoadProgress) => void>;
  settled: boolean;
  /** Failed or stopped: the engine does not hold this model. */
  failed: boolean;
  /** Stops the load once no caller wants it any more (`interest` down to 0). */
  controller: AbortController;
  /** Callers still waiting for it; Infinity once one came without a signal (it never lets go). */
  interest: number;
}

const held = new WeakMap<RuntimeEngine, Held>();

/**
 * Loads `input` into `engine` unless it holds (or is loading) that very model already. `opts.signal`
 * says this caller no longer wants it: a load under way stops once no caller wants it (callers that
 * share a load each have a say; one without a signal always wants it). Stopped while it waits for
 * the engine (a generation under way), it leaves the model held as it was.
 */
export function loadModel(engine: RuntimeEngine, input: ModelInput, options: LoadOptions = {}, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
  const { signal, ...opts } = options;
  const current = held.get(engine);
  if (current && sameInput(current.input, input) && sameOptions(current.opts, opts)) {
    if (!current.settled) {
      if (onProgress) current.listeners.add(onProgress);
      wants(current, signal);
    }
    return current.info;
  }
  const listeners = new Set(onProgress ? [onProgress] : []);
  const controller = new AbortController();
  let began = false;
  const load = () => {
    began = true;
    return engine.load(input, { ...opts, signal: controller.signal }, (p) => listeners.forEach((l) => l(p)));
  };
  const info = withEngineLock(engine, load, controller.signal);
  const entry: Held = { input, opts, info, listeners, settled: false, failed: false, controller, interest: 0 };
  wants(entry, signal);
  held.set(engine, entry);
  const settle = () => {
    entry.settled = true;
    listeners.clear();
  };
  // A failed load leaves nothing held, so asking again retries; one stopped before it began leaves
  // the engine as it was.
  info.then(settle, () => {
    entry.failed = true;
    settle();
    if (held.get(engine) !== entry) return;
    // The one before (loaded, or still loading: its own failure would clear it) is the engine's still.
    if (!began && current && !current.failed) held.set(engine, current);
    else held.delete(engine);
  });
  return info;
}

/** One more caller waits for the entry's load, until its signal aborts. */
function wants(entry: Held, signal: AbortSignal | undefined): void {
  if (!signal) {
    entry.interest = Infinity;
    return;
  }
  entry.interest++;
  const letGo = () => {
    if (--entry.interest === 0 && !entry.settled) entry.controller.abort(signal.reason);
  };
  if (signal.aborted) letGo();
  else signal.addEventListener('abort', letGo, { once: true });
}

/**
 * Loads the held model again, with the same options: after its engine lost it for good (a failed
 * recovery from a lost GPU or worker). Null when no model was loaded through loadModel().
 */
export function reloadModel(engine: RuntimeEngine, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> | null {
  const current = held.get(engine);
  if (!current) return null;
  held.delete(engine);
  return loadModel(engine, current.input, current.opts, onProgress);
}

/** The model the engine holds or is loading, as loaded through loadModel(); null when unknown. */
export function heldModel(engine: RuntimeEngine): Promise<ModelInfo> | null {
  return held.get(engine)?.info ?? null;
}

/** Strings (URLs, repo ids) by value; files and objects by identity. */
function sameInput(a: ModelInput, b: ModelInput): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((f, i) => f === b[i]);
  return a === b;
}

/** Options that change what is loaded: a new context length or quantization means a new load. */
function sameOptions(a: LoadOptions, b: LoadOptions): boolean {
  return a.contextLength === b.contextLength && a.quantize === b.quantize && a.prefillChunk === b.prefillChunk && a.textOnly === b.textOnly;
}
