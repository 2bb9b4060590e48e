import type { ChatMessage } from '../text/chat-template.ts';
import { templateOpensThink } from '../text/chat-template.ts';
import { createStopMatcher } from '../text/stop-sequences.ts';
import { createThinkParser } from '../text/think-parser.ts';
import type { RuntimeEngine } from './api.ts';
import type { GenerationStats } from './engine.ts';

/**
 * The engine behind the shape developers know: OpenAI's chat completions (`messages`, `stream`,
 * an AbortSignal), with the reasoning split out as DeepSeek's API does (`reasoning_content`).
 *
 *   const chat = chatCompletions(engine);
 *   for await (const chunk of await chat.create({ messages, stream: true })) ...
 */
export interface ChatCompletionRequest {
  messages: ChatMessage[];
  stream?: boolean;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  repetition_penalty?: number;
  seed?: number;
  /** Up to 4 sequences that end the answer (`content`), not included in it; the reasoning is not searched. */
  stop?: string | string[];
  signal?: AbortSignal;
}

type FinishReason = 'stop' | 'length';

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: [{ index: 0; message: { role: 'assistant'; content: string; reasoning_content: string }; finish_reason: FinishReason }];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: [{ index: 0; delta: { role?: 'assistant'; content?: string; reasoning_content?: string }; finish_reason: FinishReason | null }];
}

export interface ChatCompletions {
  create(req: ChatCompletionRequest & { stream: true }): Promise<AsyncIterable<ChatCompletionChunk>>;
  create(req: ChatCompletionRequest & { stream?: false }): Promise<ChatCompletion>;
}

/** `length` covers both the token limit and a full context; an abort ends the stream as `stop`. */
function finishReason(s: GenerationStats): FinishReason {
  return s.finishReason === 'length' || s.finishReason === 'context-full' ? 'length' : 'stop';
}

export function chatCompletions(engine: RuntimeEngine, modelName = 'r1-webgpu'): ChatCompletions {
  let counter = 0;
  async function* stream(req: ChatCompletionRequest, id: string, created: number): AsyncGenerator<ChatCompletionChunk> {
    const prompt = await engine.renderChat(req.messages, true);
    const ids = await engine.encode(prompt);
    const parser = createThinkParser({ startsInThink: templateOpensThink(prompt) });
    const chunk = (delta: ChatCompletionChunk['choices'][0]['delta'], finish: FinishReason | null): ChatCompletionChunk => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: modelName,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    yield chunk({ role: 'assistant' }, null);
    const stops = createStopMatcher(stopSequences(req.stop));
    // A stop sequence ends the generation; the caller's signal still does too.
    const ended = new AbortController();
    const end = () => ended.abort(req.signal?.reason);
    if (req.signal?.aborted) end();
    req.signal?.addEventListener('abort', end, { once: true });
    const answer = (d: { reasoning: string; answer: string }) => {
      const r = stops.push(d.answer);
      if (r.stopped && !ended.signal.aborted) ended.abort();
      return { reasoning: d.reasoning, answer: r.text };
    };
    const gen = engine.generate(ids, {
      maxNewTokens: req.max_tokens,
      temperature: req.temperature,
      topP: req.top_p,
      topK: req.top_k,
      repetitionPenalty: req.repetition_penalty,
      seed: req.seed,
      signal: ended.signal,
    });
    try {
      for await (const c of gen) {
        if (c.type === 'done') {
          const tail = answer(parser.finish());
          tail.answer += stops.flush();
          if (tail.reasoning || tail.answer) yield chunk(delta(tail), null);
          const last = chunk({}, finishReason(c.stats));
          (last as ChatCompletionChunk & { usage?: ChatCompletion['usage'] }).usage = usage(c.stats);
          yield last;
          return;
        }
        const d = answer(parser.push(c.text));
        if (d.reasoning || d.answer) yield chunk(delta(d), null);
      }
    } finally {
      req.signal?.removeEventListener('abort', end);
    }
  }
  return {
    async create(req: ChatCompletionRequest): Promise<never> {
      if (!Array.isArray(req.messages) || req.messages.length === 0) throw new TypeError('messages must be a non-empty array');
      stopSequences(req.stop);
      const id = `chatcmpl-${Date.now().toString(36)}-${++counter}`;
      const created = Math.floor(Date.now() / 1000);
      if (req.stream) return stream(req, id, created) as never;
      let content = '';
      let reasoning = '';
      let final: ChatCompletionChunk | null = null;
      for await (const c of stream(req, id, created)) {
        content += c.choices[0].delta.content ?? '';
        reasoning += c.choices[0].delta.reasoning_content ?? '';
        if (c.choices[0].finish_reason) final = c;
      }
      const u = (final as (ChatCompletionChunk & { usage?: ChatCompletion['usage'] }) | null)?.usage;
      return {
        id,
        object: 'chat.completion',
        created,
        model: modelName,
        choices: [{ index: 0, message: { role: 'assistant', content, reasoning_content: reasoning }, finish_reason: final?.choices[0].finish_reason ?? 'stop' }],
        usage: u ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      } as never;
    },
  } as ChatCompletions;
}

/** OpenAI's `stop`: a string or up to 4 of them, none empty. */
function stopSequences(stop: string | string[] | undefined): string[] {
  if (stop === undefined) return [];
  const list = typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(list) || list.length > 4 || !list.every((x) => typeof x === 'string' && x.length > 0)) {
    throw new TypeError('stop must be a non-empty string or an array of up to 4 of them');
  }
  return list;
}

function delta(d: { reasoning: string; answer: string }): ChatCompletionChunk['choices'][0]['delta'] {
  const out: ChatCompletionChunk['choices'][0]['delta'] = {};
  if (d.reasoning) out.reasoning_content = d.reasoning;
  if (d.answer) out.content = d.answer;
  return out;
}

function usage(s: GenerationStats): ChatCompletion['usage'] {
  return { prompt_tokens: s.promptTokens, completion_tokens: s.generatedTokens, total_tokens: s.promptTokens + s.generatedTokens };
}
