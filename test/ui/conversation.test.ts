/** Turns to chat-template messages, and how many old turns to leave out when the context is full. */
import { describe, expect, test } from 'vitest';
import type { AnswerRecord, TurnRecord } from '../../src/store/chat-history.ts';
import { answersOf, chatMessages, keepForAnotherAnswer, turnsToLeaveOut, withAnswerShown, type Turn } from '../../src/ui/conversation.ts';

const done = (user: string, reply: string): Turn => ({ user, reply, status: 'done' });

describe('chatMessages', () => {
  test('answered turns as pairs, the waiting question last, the system prompt first', () => {
    const turns: Turn[] = [done('q1', 'a1'), done('q2', ''), { user: 'q3', reply: '', status: 'pending' }];
    expect(chatMessages(turns, 'Be brief.')).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'q2' },
      { role: 'assistant', content: '' },
      { role: 'user', content: 'q3' },
    ]);
  });

  test('no system message for a blank system prompt; earlier failed turns left out; a failed last turn asked again', () => {
    const turns: Turn[] = [{ user: 'broken', reply: '', status: 'failed' }, done('q1', 'a1'), { user: 'retry', reply: '', status: 'failed' }];
    expect(chatMessages(turns, '  ')).toEqual([
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'retry' },
    ]);
  });

  test('turns left out to make room are not sent; the question asked now always is', () => {
    const turns: Turn[] = [{ ...done('old', 'a0'), leftOut: true }, done('q1', 'a1'), { user: 'q2', reply: '', status: 'pending' }];
    expect(chatMessages(turns, '')).toEqual([
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'q2' },
    ]);
    expect(chatMessages([{ user: 'now', reply: '', status: 'pending', leftOut: true }], '')).toEqual([{ role: 'user', content: 'now' }]);
  });
});

describe('turnsToLeaveOut', () => {
  /** Each turn costs its listed tokens. */
  const measureOf = (costs: number[]) => async (dropped: number) => costs.slice(dropped).reduce((a, b) => a + b, 0);

  test('leaves out the fewest oldest turns that bring the total under budget, at least one', async () => {
    expect(await turnsToLeaveOut(4, 80, measureOf([50, 40, 30, 20]))).toBe(2);
    expect(await turnsToLeaveOut(4, 1000, measureOf([50, 40, 30, 20]))).toBe(1);
  });

  test('keeps the last turn: null when it alone is over budget', async () => {
    expect(await turnsToLeaveOut(3, 10, measureOf([5, 5, 50]))).toBeNull();
    expect(await turnsToLeaveOut(1, 10, measureOf([50]))).toBeNull();
  });
});

describe("a question's answers", () => {
  const answer = (text: string): AnswerRecord => ({ reply: text, status: 'done', reasoning: `why ${text}`, answer: text, thought: null, notes: [] });
  const turnWith = (shown: string, others: string[] = [], position?: number): TurnRecord => ({ user: 'q', ...answer(shown), others: others.map(answer), position });

  test('the shown answer sits at its position among the others (after them by default)', () => {
    expect(answersOf(turnWith('b', ['a'])).answers.map((a) => a.reply)).toEqual(['a', 'b']);
    expect(answersOf(turnWith('a', ['b', 'c'], 0))).toMatchObject({ shown: 0, answers: [{ reply: 'a' }, { reply: 'b' }, { reply: 'c' }] });
    expect(answersOf({ user: 'q', ...answer('only') })).toMatchObject({ shown: 0, answers: [{ reply: 'only' }] });
  });

  test('showing another answer keeps the order; an answer asked again joins the others at the end', () => {
    const shown = withAnswerShown(turnWith('c', ['a', 'b']), 0);
    expect(shown).toMatchObject({ reply: 'a', answer: 'a', position: 0 });
    expect(answersOf({ user: 'q', ...shown }).answers.map((a) => a.reply)).toEqual(['a', 'b', 'c']);
    expect(() => withAnswerShown(turnWith('c'), 3)).toThrow(RangeError);
    expect(keepForAnotherAnswer({ user: 'q', ...shown })).toMatchObject({ position: 3, others: [{ reply: 'a' }, { reply: 'b' }, { reply: 'c' }] });
    // An answer stopped before its first word is not kept.
    const empty = { ...turnWith('', ['a']), reasoning: '', answer: '' };
    expect(keepForAnotherAnswer(empty)).toMatchObject({ position: 1, others: [{ reply: 'a' }] });
    // Nor when another is shown in its place; only an answer's own fields come along.
    const picked = withAnswerShown({ ...empty, others: [{ ...answer('a'), user: 'not a question' } as AnswerRecord] }, 0);
    expect(picked).toEqual({ ...answer('a'), others: [], position: 0 });
  });
});
