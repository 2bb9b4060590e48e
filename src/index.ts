/**
 * The library: importing it registers <r1-chat>; scripts get the engine and an OpenAI-shaped API.
 *
 *   import { createWorkerEngine, chatCompletions } from 'r1-webgpu';
 *   const engine = createWorkerEngine();
 *   await engine.load('deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B');
 *   const reply = await chatCompletions(engine).create({ messages: [{ role: 'user', content: 'Hi' }] });
 */
export { R1ChatElement } from './ui/chat-element.ts';
export { createWorkerEngine } from './engine/client.ts';
export { createLocalEngine } from './engine/local.ts';
export { chatCompletions, type ChatCompletion, type ChatCompletionChunk, type ChatCompletionRequest } from './engine/openai.ts';
export type { GenerationChunk, LoadOptions, ModelInfo, RuntimeEngine } from './engine/api.ts';
export type { GenerateOptions } from './engine/settings.ts';
export type { ModelInput } from './engine/model-files.ts';
export type { ChatMessage } from './text/chat-template.ts';
