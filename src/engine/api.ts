import type { ChatMessage } from '../text/chat-template.ts';
import type { EngineInfo, GenerationStats, LoadProgress } from './engine.ts';
import type { GenerationDefaults, ModelInput } from './model-files.ts';
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
  /** Open the tokenizer, template and config only: no GPU, no weights (tokenizing, dry runs). */
  textOnly?: boolean;
}

export type GenerationChunk =
  | { type: 'token'; id: number; pos: number; text: string }
  | { type: 'done'; stats: GenerationStats };

/**
 * One engine interface, two transports: `createLocalEngine()` runs in the calling thread,
 * `createWorkerEngine()` proxies the same calls to a Web Worker. UI code does not care which.
 */
export interface RuntimeEngine {
  load(input: ModelInput, opts?: LoadOptions, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo>;
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
}
