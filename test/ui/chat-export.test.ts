/** A kept chat as Markdown, and its file name. */
import { expect, test } from 'vitest';
import type { SavedChat, TurnRecord } from '../../src/store/chat-history.ts';
import { chatFileName, chatMarkdown } from '../../src/ui/chat-export.ts';

const turn = (extra: Partial<TurnRecord>): TurnRecord => ({ user: 'Q', reply: '', status: 'done', reasoning: '', answer: '', thought: null, notes: [], ...extra });

const chat = (turns: TurnRecord[], title = 'Why is the sky blue?'): SavedChat => ({
  version: 1,
  id: 'x',
  title,
  model: { label: 'deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B', key: 'hf:deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B' },
  createdAt: 0,
  updatedAt: Date.UTC(2026, 11, 6, 1, 2),
  turns,
});

test('questions quoted, reasoning folded with its time, answers as written, notes in italics', () => {
  const md = chatMarkdown(
    chat([
      turn({ user: 'Why is the sky\n\n# blue?', reasoning: 'Rayleigh.\n', answer: 'Short waves **scatter** more.', thought: { seconds: 2.25, answered: true } }),
      turn({ user: 'And at sunset?', reasoning: 'Longer path', thought: { seconds: 1, answered: false }, notes: [{ text: 'Stopped.', kind: 'info' }] }),
      turn({ user: 'Closed', status: 'pending' }),
    ]),
  );
  expect(md).toBe(
    [
      '# Why is the sky blue?',
      '',
      '_Model: deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B · 2026-12-06 01:02 UTC_',
      '',
      '## Question',
      '',
      '> Why is the sky',
      '>',
      '> # blue?',
      '',
      '## Answer',
      '',
      '<details><summary>Thought for 2.3 s</summary>',
      '',
      'Rayleigh.',
      '',
      '</details>',
      '',
      'Short waves **scatter** more.',
      '',
      '## Question',
      '',
      '> And at sunset?',
      '',
      '## Answer',
      '',
      '<details><summary>Thought for 1.0 s</summary>',
      '',
      'Longer path',
      '',
      '</details>',
      '',
      '_Stopped._',
      '',
      '## Question',
      '',
      '> Closed',
      '',
      '## Answer',
      '',
      '_Interrupted before the answer was finished._',
      '',
    ].join('\n'),
  );
});

test('file names keep letters and digits of any script, nothing a file system would mind', () => {
  expect(chatFileName(chat([], 'Why is the sky blue?'))).toBe('Why-is-the-sky-blue.md');
  expect(chatFileName(chat([], '../../etc/passwd'))).toBe('etc-passwd.md');
  expect(chatFileName(chat([], '勾股定理 的证明'))).toBe('勾股定理-的证明.md');
  expect(chatFileName(chat([], '???'))).toBe('chat.md');
  expect(chatFileName(chat([], 'x'.repeat(100))).length).toBe(63);
});

test("a turn left out of the context says so; the question's other answers follow, folded, numbered in order", () => {
  const other = (answer: string) => ({ reply: answer, status: 'done' as const, reasoning: 'r', answer, thought: null, notes: [] });
  const md = chatMarkdown(chat([turn({ user: 'Q', answer: 'Second try.', leftOut: true, others: [other('First try.'), other(''), other('Third try.')], position: 1 })]));
  expect(md).toContain(
    [
      'Second try.',
      '',
      "_Left out of the model's context, to make room._",
      '',
      '<details><summary>Another answer (1 of 4)</summary>',
      '',
      'First try.',
      '',
      '</details>',
      '',
      '<details><summary>Another answer (4 of 4)</summary>',
      '',
      'Third try.',
      '',
      '</details>',
    ].join('\n'),
  );
});
