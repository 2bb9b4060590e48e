/**
 * Errors thrown in the worker reach the page through comlink as plain Errors that keep `name` and
 * `message`; `rebuildError` gives them back their class, so `instanceof` works on the page.
 */
import { GpuDeviceLostError, GpuLimitError, WebGpuUnavailableError } from '../gpu/errors.ts';
import { GpuValidationError } from '../gpu/validation.ts';
import { UnsupportedModelError } from '../model/arch.ts';
import { ModelLoadError } from '../model/weights.ts';
import { ContextOverflowError, SettingsError, WorkerCrashedError } from './errors.ts';
import { ModelSourceError } from './model-files.ts';
import { EngineNotLoadedError } from './local.ts';
import { FormatError } from '../formats/errors.ts';
import { HttpError } from '../formats/source.ts';
import { TemplateError } from '../text/chat-template.ts';
import { TokenizerError, UnsupportedTokenizerError } from '../text/tokenizer-errors.ts';

const CLASSES: Record<string, { prototype: Error }> = {
  WebGpuUnavailableError,
  GpuDeviceLostError,
  GpuLimitError,
  GpuValidationError,
  UnsupportedModelError,
  ModelLoadError,
  ModelSourceError,
  ContextOverflowError,
  SettingsError,
  WorkerCrashedError,
  EngineNotLoadedError,
  FormatError,
  HttpError,
  TemplateError,
  TokenizerError,
  UnsupportedTokenizerError,
};

export function rebuildError(e: unknown): Error {
  if (!(e instanceof Error)) return new Error(String(e));
  const err: Error = e;
  const cls = CLASSES[err.name];
  if (cls) Object.setPrototypeOf(err, cls.prototype);
  return err;
}
