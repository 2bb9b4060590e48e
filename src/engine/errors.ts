/** The conversation no longer fits in the context window the engine was loaded with. */
export class ContextOverflowError extends Error {
  override name = 'ContextOverflowError';
  constructor(
    readonly needed: number,
    readonly available: number,
  ) {
    super(
      `the conversation needs ${needed} tokens but the context window holds ${available}: ` +
        'start a new chat, leave the oldest turns out, or load the model with a longer context',
    );
  }
}

/** Bad generation settings (negative temperature, top-p outside (0, 1], ...). */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** The engine's Web Worker died (closed, killed by the browser, an uncaught exception) or never started. */
export class WorkerCrashedError extends Error {
  override name = 'WorkerCrashedError';
}

/**
 * A load stopped through its signal (LoadOptions.signal). Named as the platform names a stopped
 * fetch, so one `name === 'AbortError'` check covers downloads and loads.
 */
export class LoadAbortedError extends Error {
  override name = 'AbortError';
  constructor() {
    super('the model load was stopped before it finished');
  }
}
