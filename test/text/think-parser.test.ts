import { describe, expect, it } from 'vitest';
import { createThinkParser, type ThinkParser } from '../../src/text/think-parser.ts';

/** Feeds deltas and collects reasoning and answer; `tagsAreText: false` also checks no delta leaks a tag. */
function run(parser: ThinkParser, deltas: string[], { tagsAreText = false } = {}) {
  let reasoning = '';
  let answer = '';
  for (const d of deltas) {
    const out = parser.push(d);
    if (!tagsAreText) for (const part of [out.reasoning, out.answer]) expect(part).not.toMatch(/<\/?think>/);
    reasoning += out.reasoning;
    answer += out.answer;
  }
  const end = parser.finish();
  return { reasoning: reasoning + end.reasoning, answer: answer + end.answer, thinking: end.thinking };
}

describe('createThinkParser', () => {
  it('starts in reasoning after an R1 prompt and leaves it at </think>, whatever the split', () => {
    const text = 'Let me think.</think>\n\nThe answer is 4.';
    // Every way of cutting the stream in two, including inside the tag.
    for (let cut = 0; cut <= text.length; cut++) {
      const r = run(createThinkParser({ startsInThink: true }), [text.slice(0, cut), text.slice(cut)]);
      expect(r, `cut at ${cut}`).toEqual({ reasoning: 'Let me think.', answer: 'The answer is 4.', thinking: false });
    }
  });

  it('handles </think> arriving one character per delta', () => {
    const r = run(createThinkParser({ startsInThink: true }), [...'a < b</think>ok']);
    expect(r).toEqual({ reasoning: 'a < b', answer: 'ok', thinking: false });
  });

  it('sends text to reasoning as soon as it cannot be the start of the tag', () => {
    const p = createThinkParser({ startsInThink: true });
    expect(p.push('step one</th')).toEqual({ reasoning: 'step one', answer: '' });
    expect(p.thinking).toBe(true);
    expect(p.push('ing else')).toEqual({ reasoning: '</thing else', answer: '' });
  });

  it('follows a <think> block the model opens itself', () => {
    const r = run(createThinkParser({ startsInThink: false }), ['\n<thi', 'nk>\nhmm', '</think>', '\n', 'Hi!']);
    expect(r).toEqual({ reasoning: '\nhmm', answer: 'Hi!', thinking: false });
  });

  it('treats output without a think block as all answer, and a later <think> as text', () => {
    const r = run(createThinkParser({ startsInThink: false }), ['Hello', ' <think> is a tag'], { tagsAreText: true });
    expect(r.reasoning).toBe('');
    expect(r.answer).toBe('Hello <think> is a tag');
  });

  it('reports a block that never closed, with its held-back tail', () => {
    const p = createThinkParser({ startsInThink: true });
    const r = run(p, ['still thinking </thi']);
    expect(r).toEqual({ reasoning: 'still thinking </thi', answer: '', thinking: true });
    expect(p.thinking).toBe(true);
  });

  it('trims only the whitespace between </think> and the answer', () => {
    const r = run(createThinkParser({ startsInThink: true }), ['x</think>', ' \n\t', '\n', '  Indented\n\nanswer  ']);
    expect(r.answer).toBe('Indented\n\nanswer  ');
    expect(r.reasoning).toBe('x');
  });

  it('flushes a partial <think> that never completed into the answer', () => {
    expect(run(createThinkParser({ startsInThink: false }), ['<thi'])).toEqual({ reasoning: '', answer: '<thi', thinking: false });
  });
});
