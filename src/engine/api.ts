import type { QuantizeMode } from '../formats/quant/on-load.ts';
import type { KvDtype } from '../model/kv-cache.ts';
import type { ChatMessage } from '../text/chat-template.ts';
import type { EngineInfo, GenerationStats, LoadProgress } from './engine.ts';
import type { GenerationDefaults, ModelInput } from './model-files.ts';
import type { LoadPlan } from './plan.ts';
import type { GenerateOptions } from './settings.ts';

/** What a page or a script sees of a loaded model. */
export interface ModelInfo extends EngineInfo {
  generation: GenerationDefaults;
  hasChatTemplate: boolean;
  bosId: number | null;
}

export interface LoadOptions {
  contextLength?: number;
  prefillChunk?: number;
  capBindingBytes?: number;
  /** Quantize F32 / F16 / BF16 matrices while they stream to the GPU (formats/quant/on-load.ts). */
  quantize?: QuantizeMode;
  /** KV cache precision: 'f16' (default, half the memory) or 'f32'. */
  kvCache?: KvDtype;
  /** W8A8 checkpoints: round matmul inputs to FP8 E4M3 or INT8 as the checkpoint says (default) or compute weight-only. */
  activationRounding?: 'checkpoint' | 'off';
  /** Open the tokenizer, template and config only: no GPU, no weights (tokenizing, dry runs). */
  textOnly?: boolean;
  /**
   * Stops the load: it rejects with an error named AbortError, and what it had put on the GPU is
   * freed. A load lets go of the model held when it begins, so the engine then holds none.
   */
  signal?: AbortSignal;
}

export type GenerationChunk =
  /** The model's end of sequence comes as a token with no text: it ends the answer, it is not in it. */
  | { type: 'token'; id: number; pos: number; text: string }
  | { type: 'done'; stats: GenerationStats };

/** What broke: the GPU device (driver reset, GPU removed) or the Web Worker running the engine. */
export type LossCause = 'device' | 'worker';

/** An error as it crosses a boundary: its class name and message. */
export interface ErrorInfo {
  name: string;
  message: string;
}

/**
 * What an engine reports outside any call. After `lost` the model is loaded again from where it came
 * from (the same URL, the same Files: a copy kept in IndexedDB is read again) when one was loaded
 * (`reloading: true`): progress, then `recovered` or `recovery-failed`. The conversation lives with
 * the caller, so it survives; only the KV cache is rebuilt, on the next generation.
 */
export type EngineEvent =
  | { type: 'lost'; cause: LossCause; error: ErrorInfo; reloading: boolean }
  | { type: 'reloading'; cause: LossCause; progress: LoadProgress }
  | { type: 'recovered'; cause: LossCause; info: ModelInfo }
  | { type: 'recovery-failed'; cause: LossCause; error: ErrorInfo };

/** Debugging and tests: what the engine holds now. */
export interface EngineMemory {
  /** Bytes and count of the GPU buffers alive on the engine's device (0 with no model loaded). */
  gpuLiveBytes: number;
  gpuLiveBuffers: number;
  gpuPeakBytes: number;
}

/**
 * One engine interface, two transports: `createLocalEngine()` runs in the calling thread,
 * `createWorkerEngine()` proxies the same calls to a Web Worker. UI code does not care which.
 */
export interface RuntimeEngine {
  load(input: ModelInput, opts?: LoadOptions, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo>;
  /** What loading would take on this GPU, from the model's headers (no weights are read). */
  plan(input: ModelInput, opts?: LoadOptions): Promise<LoadPlan>;
  /** The model's chat template applied to the messages (generation prompt added by default). */
  renderChat(messages: ChatMessage[], addGenerationPrompt?: boolean): Promise<string>;
  /**
   * Tokenizes text. `raw: true` tokenizes as a tokenizer call would (BOS added when the model's
   * tokenizer config says so); otherwise the text is a rendered template, which carries its own BOS.
   */
  encode(text: string, opts?: { raw?: boolean }): Promise<number[]>;
  decode(ids: number[]): Promise<string>;
  /** Streams tokens with their text; the last chunk carries the statistics. */
  generate(promptIds: number[], opts?: GenerateOptions): AsyncIterable<GenerationChunk>;
  /** Forgets the cached conversation. */
  reset(): Promise<void>;
  unload(): Promise<void>;
  /**
   * Hears losses and recoveries (EngineEvent); returns the way to stop listening. Engines that cannot
   * lose their GPU or worker (a scripted one in tests) may leave it out.
   */
  onEvent?(listener: (e: EngineEvent) => void): () => void;
}
