/** Chats and the app's memory kept in the browser store: round trips, order, titles, damaged records. */
import { describe, expect, test } from 'vitest';
import { parseMemory, readMemory, writeMemory, EMPTY_MEMORY } from '../../src/store/app-memory.ts';
import { chatTitle, deleteChat, listChats, parseSavedChat, readChat, saveChat, type AnswerRecord, type AppStoreKey, type SavedChat, type TurnRecord } from '../../src/store/chat-history.ts';
import { memoryStore } from './memory-store.ts';

const turn = (user: string, extra: Partial<TurnRecord> = {}): TurnRecord => ({
  user,
  reply: '<think>\nhm\n</think>\n\nyes',
  status: 'done',
  reasoning: 'hm\n',
  answer: 'yes',
  thought: { seconds: 1.5, answered: true },
  notes: [],
  ...extra,
});

const chat = (id: string, updatedAt: number, turns = [turn(`question ${id}`)]): SavedChat => ({
  version: 1,
  id,
  title: chatTitle(turns),
  model: { label: 'deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B', key: 'hf:deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B' },
  createdAt: 1,
  updatedAt,
  turns,
});

describe('chat history', () => {
  test('chats come back whole, the one written last first; a deleted chat is gone', async () => {
    const store = memoryStore<AppStoreKey>();
    const earlier = { reply: 'no', status: 'failed' as const, reasoning: '', answer: 'no', thought: null, notes: [{ text: 'Stopped.', kind: 'info' as const }] };
    const a = chat('a', 10, [turn('q1', { leftOut: true, others: [earlier], position: 0 }), turn('q2', { status: 'failed', reply: '', notes: [{ text: 'Stopped.', kind: 'info' }], thought: null })]);
    await saveChat(store, a);
    await saveChat(store, { ...chat('b', 30), title: 'Named by hand', named: true });
    await saveChat(store, chat('c', 20));
    expect((await listChats(store)).map((c) => c.id)).toEqual(['b', 'c', 'a']);
    expect((await listChats(store)).at(-1)).toEqual(a);
    // Written again with a new turn: same id, one record, first in the list.
    await saveChat(store, { ...a, updatedAt: 40, turns: [...a.turns, turn('q3', { status: 'pending', reply: '', answer: '', reasoning: '' })] });
    const listed = await listChats(store);
    expect(listed.map((c) => c.id)).toEqual(['a', 'b', 'c']);
    expect(listed[0].turns).toHaveLength(3);
    expect(listed.find((c) => c.id === 'b')).toMatchObject({ title: 'Named by hand', named: true });
    await deleteChat(store, 'b');
    expect((await listChats(store)).map((c) => c.id)).toEqual(['a', 'c']);
    // One by id (another tab wrote it): as listed, or null once deleted.
    expect(await readChat(store, 'a')).toEqual(listed[0]);
    expect(await readChat(store, 'b')).toBeNull();
  });

  test('a damaged record or one of another version is left out, the others listed', async () => {
    const store = memoryStore<AppStoreKey>();
    await saveChat(store, chat('good', 5));
    const bad: [string, unknown][] = [
      ['v2', { ...chat('v2', 9), version: 2 }],
      ['null', null],
      ['no-turns', { ...chat('x', 9), turns: undefined }],
      ['bad-status', chat('y', 9, [turn('q', { status: 'thinking' as TurnRecord['status'] })])],
      ['bad-note', chat('z', 9, [turn('q', { notes: [{ text: 'x', kind: 'warn' as 'info' }] })])],
      ['bad-thought', chat('w', 9, [turn('q', { thought: { seconds: Number.NaN, answered: true } })])],
      ['bad-time', { ...chat('t', 9), updatedAt: '9' }],
      ['bad-model', { ...chat('m', 9), model: 'a label alone' }],
      ['bad-model-key', { ...chat('k', 9), model: { label: 'a', key: null } }],
      ['bad-other', chat('o', 9, [turn('q', { others: [{ reply: 'x' } as AnswerRecord] })])],
      ['pending-other', chat('p', 9, [turn('q', { others: [{ ...turn('x'), status: 'pending' } as unknown as AnswerRecord] })])],
      ['bad-position', chat('r', 9, [turn('q', { others: [{ ...turn('x'), status: 'done' }], position: 2 })])],
      ['bad-named', { ...chat('n', 9), named: 'yes' }],
      ['bad-left-out', chat('l', 9, [turn('q', { leftOut: 'yes' as unknown as boolean })])],
    ];
    for (const [id, value] of bad) await store.set(['chat', id], value);
    await store.set(['memory'], { version: 1, model: null, fields: {} });
    expect((await listChats(store)).map((c) => c.id)).toEqual(['good']);
    for (const [, value] of bad) expect(parseSavedChat(value)).toBeNull();
  });

  test('a record read back has its known fields only', () => {
    const extra = { ...turn('q'), user: 'q', injected: 1, others: [{ ...turn('a'), status: 'done', user: 'not a question' }], position: 0 };
    const parsed = parseSavedChat({ ...chat('e', 9), turns: [extra], extra: true });
    expect(parsed?.turns).toEqual([{ ...turn('q'), others: [{ reply: turn('a').reply, status: 'done', reasoning: 'hm\n', answer: 'yes', thought: { seconds: 1.5, answered: true }, notes: [] }], position: 0 }]);
    expect(parsed).not.toHaveProperty('extra');
  });

  test("a chat's title is its first question on one line, cut at 60 characters", () => {
    expect(chatTitle([turn('  Why is\n\nthe sky   blue? ')])).toBe('Why is the sky blue?');
    const long = 'x'.repeat(59) + '😀' + 'y'.repeat(10);
    expect(chatTitle([turn(long)])).toBe('x'.repeat(59) + '…');
    expect([...chatTitle([turn('😀'.repeat(80))])]).toHaveLength(60);
    expect(chatTitle([])).toBe('');
  });
});

describe('app memory', () => {
  test('the model and the fields come back as written; nothing written reads as empty', async () => {
    const store = memoryStore<AppStoreKey>();
    expect(await readMemory(store)).toEqual(EMPTY_MEMORY);
    const memory = { version: 1 as const, model: { source: '/demo-model', key: 'http://localhost/demo-model/', kept: true }, fields: { temperature: '0.3', keep: 'false' } };
    await writeMemory(store, memory);
    expect(await readMemory(store)).toEqual(memory);
  });

  test('memory that does not read as written is forgotten whole', async () => {
    for (const v of [
      null,
      { version: 2, model: null, fields: {} },
      { version: 1, model: null, fields: [] },
      { version: 1, model: null, fields: { temperature: 0.3 } },
      { version: 1, model: { source: 3, key: 'a', kept: true }, fields: {} },
      { version: 1, model: { source: 'a', key: 7, kept: true }, fields: {} },
      { version: 1, model: { source: 'a', key: 'a', kept: 'yes' }, fields: {} },
      { version: 1, model: 'a', fields: {} },
    ]) {
      expect(parseMemory(v)).toBeNull();
      const store = memoryStore<AppStoreKey>();
      await store.set(['memory'], v);
      expect(await readMemory(store)).toEqual(EMPTY_MEMORY);
    }
  });
});
