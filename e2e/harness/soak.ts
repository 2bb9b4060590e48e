/**
 * A long run in one page through the worker engine, as the chat does it: chat turns (the model's
 * template, the conversation sent whole each turn, a new chat when the context fills), and aborts
 * with an immediate restart. The engine lives in this module between calls, so the spec can measure
 * memory between phases.
 */
import type { GenerationStats } from '../../src/engine/engine.ts';
import { createWorkerEngine, type WorkerEngine } from '../../src/engine/client.ts';
import type { ChatMessage } from '../../src/text/chat-template.ts';

let engine: WorkerEngine | null = null;
let contextLength = 0;
let messages: ChatMessage[] = [];
let turn = 0;

const USER = ['Hello!', 'Tell me more about that.', 'Why?', 'Can you give an example with numbers: 3, 14, 159?', 'Thanks. And then?'];

export async function start(c: { url: string; contextLength: number }) {
  engine = createWorkerEngine();
  contextLength = c.contextLength;
  const info = await engine.load(c.url, { contextLength });
  return { vocab: info.config.vocabSize, contextLength: info.contextLength };
}

/**
 * Chat turns until `minTokens` are generated; a new chat whenever the next turn might not fit.
 * `fromScratch`: the KV cache is dropped first, so the whole conversation is prefilled again.
 */
export async function chat(c: { minTokens: number; maxNewTokens: number; fromScratch?: boolean }) {
  const e = engine!;
  if (c.fromScratch) await e.reset();
  let tokens = 0;
  let turns = 0;
  let newChats = 0;
  let prefilled = 0;
  let prompted = 0;
  const finish: Record<string, number> = {};
  while (tokens < c.minTokens) {
    messages.push({ role: 'user', content: USER[turn++ % USER.length] });
    let ids = await e.encode(await e.renderChat(messages));
    if (ids.length + c.maxNewTokens > contextLength) {
      messages = [messages.at(-1)!];
      await e.reset();
      newChats++;
      ids = await e.encode(await e.renderChat(messages));
    }
    let text = '';
    let stats: GenerationStats | null = null;
    for await (const chunk of e.generate(ids, { temperature: 0.6, topP: 0.95, seed: turn, maxNewTokens: c.maxNewTokens })) {
      if (chunk.type === 'done') stats = chunk.stats;
      else text += chunk.text;
    }
    tokens += stats!.generatedTokens;
    prefilled += stats!.prefilledTokens;
    prompted += stats!.promptTokens;
    finish[stats!.finishReason] = (finish[stats!.finishReason] ?? 0) + 1;
    messages.push({ role: 'assistant', content: text });
    turns++;
  }
  return { tokens, turns, newChats, prefilled, prompted, finish };
}

/** Starts a generation, aborts it after a few tokens, and at once starts the next: `n` times. */
export async function abortLoop(c: { n: number }) {
  const e = engine!;
  let tokens = 0;
  const finish: Record<string, number> = {};
  const ids = await e.encode(await e.renderChat([{ role: 'user', content: 'Count to a thousand.' }]));
  for (let i = 0; i < c.n; i++) {
    const controller = new AbortController();
    const stopAfter = 1 + (i % 7);
    let got = 0;
    let stats: GenerationStats | null = null;
    for await (const chunk of e.generate(ids, { temperature: 0.6, seed: i, maxNewTokens: 200, signal: controller.signal })) {
      if (chunk.type === 'done') stats = chunk.stats;
      else if (++got === stopAfter) controller.abort();
    }
    tokens += stats!.generatedTokens;
    finish[stats!.finishReason] = (finish[stats!.finishReason] ?? 0) + 1;
  }
  return { tokens, aborts: c.n, finish };
}

export const memory = () => engine!.debug.memory();

export function stop(): void {
  engine?.terminate();
  engine = null;
  messages = [];
}
