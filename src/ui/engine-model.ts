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
}

const held = new WeakMap<RuntimeEngine, Held>();

/**
 * Loads `input` into `engine` unless it holds (or is loading) that very model already. `opts.signal`
 * stops the load: while it waits for the engine (a generation under way), the model held stays held.
 */
export function loadModel(engine: RuntimeEngine, input: ModelInput, options: LoadOptions = {}, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
  const { signal, ...opts } = options;
  const current = held.get(engine);
  if (current && sameInput(current.input, input) && sameOptions(current.opts, opts)) {
    if (onProgress && !current.settled) current.listeners.add(onProgress);
    return current.info;
  }
  const listeners = new Set(onProgress ? [onProgress] : []);
  let began = false;
  const load = () => {
    began = true;
    return engine.load(input, { ...opts, signal }, (p) => listeners.forEach((l) => l(p)));
  };
  const info = withEngineLock(engine, load, signal);
  const entry: Held = { input, opts, info, listeners, settled: false, failed: false };
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
