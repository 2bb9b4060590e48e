/**
 * Errors in plain words with what to do. Engine errors keep their class name across the worker
 * boundary (wire-errors.ts), so the name tells what happened; the message carries the specifics.
 */
const PLAIN: Record<string, (message: string) => string> = {
  WebGpuUnavailableError: (m) => `This browser cannot run the model on the GPU: ${m}. Use a recent Chrome or Edge with WebGPU on.`,
  GpuLimitError: (m) => `The GPU cannot hold this model: ${m}`,
  GpuDeviceLostError: (m) => `The GPU stopped responding: ${m}`,
  WorkerCrashedError: (m) => `The engine stopped: ${m}`,
  GpuValidationError: (m) => `The GPU rejected a step of the model (a bug in this app; please report it): ${m}`,
  FormatError: (m) => `The model files could not be read: ${m}`,
  HttpError: (m) => `The model files could not be read: ${m}`,
  ModelSourceError: (m) => `The model could not be found: ${m}`,
  UnsupportedModelError: (m) => `This model is not supported: ${m}`,
  ModelLoadError: (m) => `This model could not be loaded: ${m}`,
  ContextOverflowError: (m) => `The conversation no longer fits in the model's context window: ${m}`,
  SettingsError: (m) => `A setting is out of range: ${m}. Fix it in the settings and try again.`,
  EngineNotLoadedError: () => 'No model is loaded yet: pick a model first.',
  TemplateError: (m) => `The model's chat template failed: ${m}`,
  TokenizerError: (m) => `The model's tokenizer failed: ${m}`,
  StorageQuotaError: (m) => m,
  StorageFullError: (m) => m,
  CacheIncompleteError: (m) => m,
  LocalFilesError: (m) => m,
  GenerationIncompleteError: (m) => `The answer ended early: ${m}. Try again (Regenerate).`,
  SanitizerUnavailableError: (m) => `Answers cannot be shown safely here: ${m}`,
  AbortError: () => 'Stopped.',
};

export interface ErrorDetail {
  name: string;
  message: string;
}

/** The name and message of anything thrown (worker errors arrive as plain objects at times). */
export function errorDetail(e: unknown): ErrorDetail {
  if (e && typeof e === 'object' && 'message' in e) {
    const err = e as { name?: unknown; message: unknown };
    return { name: typeof err.name === 'string' ? err.name : 'Error', message: String(err.message) };
  }
  return { name: 'Error', message: String(e) };
}

export function explainError(e: unknown): string {
  const { name, message } = errorDetail(e);
  const plain = PLAIN[name];
  return plain ? plain(message.replace(/\.$/, '')) : `Something went wrong (${name}): ${message}`;
}
