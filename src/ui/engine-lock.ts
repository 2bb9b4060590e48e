/**
 * One generation at a time per engine: the engine keeps a single KV cache, so chat elements that
 * share it take turns. Tasks run in the order they asked; one whose signal aborts while it waits
 * leaves the queue at once without running.
 */
const tails = new WeakMap<object, Promise<void>>();

export function withEngineLock<T>(engine: object, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const previous = tails.get(engine) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  // The chain never rejects: the next task waits for this one to settle, whatever its outcome.
  tails.set(engine, previous.then(() => mine));
  return (async () => {
    try {
      await untilAborted(previous, signal);
      return await task();
    } finally {
      release();
    }
  })();
}

function untilAborted(p: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return p;
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
