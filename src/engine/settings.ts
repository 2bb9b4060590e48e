import type { SamplingParams } from '../kernels/sample.ts';
import { SettingsError } from './errors.ts';
import type { GenerationDefaults } from './model-files.ts';

export interface GenerateOptions {
  maxNewTokens?: number;
  /** 0 = greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  seed?: number;
  /** Extra stop ids besides the model's end-of-sequence ids. */
  stopIds?: number[];
  /**
   * The last this-many prompt ids are text the model generated, which the new tokens continue (an
   * answer continued past its token limit): a character whose bytes were split there comes out whole.
   */
  continuesIds?: number;
  signal?: AbortSignal;
}

export interface ResolvedSettings extends SamplingParams {
  maxNewTokens: number;
  seed: number;
  stopIds: Set<number>;
}

/**
 * Fills unset options from the model's generation_config.json, else (GGUF files and folders
 * without one) with DeepSeek's recommendation for R1 (temperature 0.6, top-p 0.95: what
 * R1-Distill's own generation_config.json says), and checks every value.
 */
export function resolveSettings(o: GenerateOptions, d: GenerationDefaults): ResolvedSettings {
  const s = {
    maxNewTokens: o.maxNewTokens ?? 512,
    temperature: o.temperature ?? d.temperature ?? 0.6,
    topK: o.topK ?? d.topK ?? 0,
    topP: o.topP ?? d.topP ?? 0.95,
    repetitionPenalty: o.repetitionPenalty ?? d.repetitionPenalty ?? 1,
    seed: o.seed ?? Math.floor(Math.random() * 2 ** 32),
    stopIds: new Set([...d.eosIds, ...(o.stopIds ?? [])]),
  };
  const bad = (what: string) => {
    throw new SettingsError(what);
  };
  if (!Number.isInteger(s.maxNewTokens) || s.maxNewTokens < 1) bad(`max new tokens must be a positive integer, got ${s.maxNewTokens}`);
  if (!(s.temperature >= 0) || !Number.isFinite(s.temperature)) bad(`temperature must be 0 (greedy) or positive, got ${s.temperature}`);
  if (!Number.isInteger(s.topK) || s.topK < 0) bad(`top-k must be a whole number >= 0 (0 = off), got ${s.topK}`);
  if (!(s.topP > 0 && s.topP <= 1)) bad(`top-p must be in (0, 1], got ${s.topP}`);
  if (!(s.repetitionPenalty > 0) || !Number.isFinite(s.repetitionPenalty)) bad(`repetition penalty must be positive, got ${s.repetitionPenalty}`);
  if (!Number.isInteger(s.seed) || s.seed < 0 || s.seed >= 2 ** 32) bad(`seed must be an integer in [0, 2^32), got ${s.seed}`);
  return s;
}
