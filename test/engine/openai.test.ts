import { describe, expect, it } from 'vitest';
import type { GenerationChunk, RuntimeEngine } from '../../src/engine/api.ts';
import type { GenerationStats } from '../../src/engine/engine.ts';
import { chatCompletions } from '../../src/engine/openai.ts';

/** An engine that renders a fixed prompt opening <think> and streams scripted text pieces. */
function scripted(pieces: string[], finishReason: GenerationStats['finishReason'] = 'stop'): RuntimeEngine & { lastOpts?: unknown } {
  const e: RuntimeEngine & { lastOpts?: unknown } = {
    load: async () => { throw new Error('unused'); },
    plan: async () => { throw new Error('unused'); },
    renderChat: async (messages) => `<｜User｜>${messages.at(-1)!.content}<｜Assistant｜><think>\n`,
    encode: async (text) => Array.from(text, (_, i) => i),
    decode: async () => '',
    async *generate(ids, opts): AsyncGenerator<GenerationChunk> {
      e.lastOpts = opts;
      for (const [i, text] of pieces.entries()) yield { type: 'token', id: i, pos: ids.length + i, text };
      yield { type: 'done', stats: { promptTokens: ids.length, prefilledTokens: ids.length, generatedTokens: pieces.length, prefillMs: 1, decodeMs: 1, finishReason } };
    },
    reset: async () => {},
    unload: async () => {},
  };
  return e;
}

describe('chat completions API', () => {
  it('returns the answer and the reasoning apart, with usage and the sampling settings passed on', async () => {
    const engine = scripted(['Let me ', 'see.</th', 'ink>\n\nIt is ', '42.']);
    const res = await chatCompletions(engine).create({ messages: [{ role: 'user', content: 'Q?' }], temperature: 0.3, top_p: 0.9, max_tokens: 7 });
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0].message).toEqual({ role: 'assistant', content: 'It is 42.', reasoning_content: 'Let me see.' });
    expect(res.choices[0].finish_reason).toBe('stop');
    expect(res.usage.completion_tokens).toBe(4);
    expect(engine.lastOpts).toMatchObject({ temperature: 0.3, topP: 0.9, maxNewTokens: 7 });
  });

  it('streams deltas: a role chunk, reasoning then content, and a final chunk with the finish reason', async () => {
    const engine = scripted(['Hmm', '</think>', 'Yes'], 'length');
    const chunks = [];
    for await (const c of await chatCompletions(engine).create({ messages: [{ role: 'user', content: 'Q?' }], stream: true })) chunks.push(c);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant' });
    expect(chunks.map((c) => c.choices[0].delta.reasoning_content ?? '').join('')).toBe('Hmm');
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('Yes');
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('length');
    expect(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null)).toBe(true);
  });

  it('stop sequences end the answer, not the reasoning, and are not in it; the generation is ended', async () => {
    const engine = scripted(['Say END? No.', '</think>', 'Done. EN', 'D here', ' and more']);
    const res = await chatCompletions(engine).create({ messages: [{ role: 'user', content: 'Q?' }], stop: ['END', '###'] });
    expect(res.choices[0].message).toEqual({ role: 'assistant', content: 'Done. ', reasoning_content: 'Say END? No.' });
    expect(res.choices[0].finish_reason).toBe('stop');
    expect((engine.lastOpts as { signal: AbortSignal }).signal.aborted).toBe(true);
    // Streamed: no piece of the stop sequence is ever sent.
    const chunks = [];
    for await (const c of await chatCompletions(scripted(['</think>', 'a#', '#', '#b'])).create({ messages: [{ role: 'user', content: 'Q?' }], stop: '###', stream: true })) chunks.push(c);
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('a');
  });

  it('refuses a stop that is not a string or up to 4 of them', async () => {
    for (const stop of ['', ['a', 'b', 'c', 'd', 'e'], [3]]) {
      await expect(chatCompletions(scripted([])).create({ messages: [{ role: 'user', content: 'Q?' }], stop: stop as string[] })).rejects.toThrow(/stop must be/);
    }
  });

  it('refuses a request without messages', async () => {
    await expect(chatCompletions(scripted([])).create({ messages: [] })).rejects.toThrow(/non-empty array/);
  });
});
