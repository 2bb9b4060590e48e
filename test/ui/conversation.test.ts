/** Turns to chat-template messages, and how many old turns to leave out when the context is full. */
import { describe, expect, test } from 'vitest';
import { chatMessages, turnsToLeaveOut, type Turn } from '../../src/ui/conversation.ts';

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

  test('turns left out to make room are not sent', () => {
    const turns: Turn[] = [{ ...done('old', 'a0'), leftOut: true }, done('q1', 'a1'), { user: 'q2', reply: '', status: 'pending' }];
    expect(chatMessages(turns, '')).toEqual([
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'q2' },
    ]);
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
