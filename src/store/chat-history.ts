/**
 * Conversations kept in the browser, so that a reload or a visit next week finds them: one record
 * per chat, written whole at each turn's start and end. Records are read back checked field by
 * field; one that is damaged or from another version is left out of the list, not shown half.
 */
import type { KeyValueStore } from './kv-store.ts';

export interface TurnNote {
  text: string;
  kind: 'info' | 'error';
}

/** One question and its answer as shown on screen, and what goes back to the model. */
export interface TurnRecord {
  user: string;
  /** The generated text as it came, sent back to the model next turn; '' when there is no answer to send. */
  reply: string;
  /** 'pending' in a saved chat: the page closed while it was being answered. */
  status: 'pending' | 'done' | 'failed';
  reasoning: string;
  answer: string;
  /** How long it thought, once </think> came or the generation ended inside the reasoning. */
  thought: { seconds: number; answered: boolean } | null;
  notes: TurnNote[];
  /** Left out of what the model is given, to make room in its context window (shown, not sent). */
  leftOut?: boolean;
  /**
   * The question's other answers (it was asked again), in the order they were written. The record's
   * own fields are the answer shown, and sent back to the model; it sits at `position` among them
   * (by default after them all).
   */
  others?: AnswerRecord[];
  position?: number;
}

/** One answer to a question, as kept among a turn's `others`. */
export type AnswerRecord = Pick<TurnRecord, 'reply' | 'reasoning' | 'answer' | 'thought' | 'notes'> & { status: 'done' | 'failed' };

export interface SavedChat {
  version: 1;
  id: string;
  /** What the list shows: the first question, shortened, unless the user named the chat (`named`). */
  title: string;
  named?: boolean;
  /** The model it was held with when last written: its source as shown, and its key (model-key.ts). */
  model: { label: string; key: string } | null;
  createdAt: number;
  updatedAt: number;
  turns: TurnRecord[];
}

/** The app's own store: its chats, and what it remembers between visits (app-memory.ts). */
export type AppStoreKey = ['chat', string] | ['memory'];
export type AppStore = KeyValueStore<AppStoreKey>;

const chatKey = (id: string): AppStoreKey => ['chat', id];
const TITLE_CHARS = 60;

/** The list's name for a chat: its first question on one line, cut at 60 characters. */
export function chatTitle(turns: readonly TurnRecord[]): string {
  const text = (turns[0]?.user ?? '').replace(/\s+/g, ' ').trim();
  const chars = [...text];
  return chars.length > TITLE_CHARS ? `${chars.slice(0, TITLE_CHARS - 1).join('')}…` : text;
}

export async function saveChat(store: AppStore, chat: SavedChat): Promise<void> {
  await store.set(chatKey(chat.id), chat);
}

export async function deleteChat(store: AppStore, id: string): Promise<void> {
  await store.del(chatKey(id));
}

/** A chat is kept under this id, but not in a form this page can read (damaged, or a newer version). */
export class ChatUnreadableError extends Error {
  override name = 'ChatUnreadableError';
}

/** One chat as kept, or null when there is none by that id. */
export async function readChat(store: AppStore, id: string): Promise<SavedChat | null> {
  const value = await store.get(chatKey(id));
  if (value === undefined) return null;
  const chat = parseSavedChat(value);
  if (!chat) throw new ChatUnreadableError(`the chat ${id} is kept in a form this page cannot read`);
  return chat;
}

/** The turns as a string that two copies share when they say the same (whatever their keys' order). */
export function turnsKey(turns: readonly TurnRecord[]): string {
  return JSON.stringify(turns.map(copyTurn));
}

/** Every readable chat, the one written last first. */
export async function listChats(store: AppStore): Promise<SavedChat[]> {
  const keys = (await store.keys()).filter((k) => Array.isArray(k) && k[0] === 'chat');
  const chats = await Promise.all(keys.map(async (k) => parseSavedChat(await store.get(k))));
  return chats.filter((c): c is SavedChat => c !== null).sort((a, b) => b.updatedAt - a.updatedAt);
}

/** A stored value as a chat, or null when any field is missing or of the wrong kind. */
export function parseSavedChat(v: unknown): SavedChat | null {
  if (!isObject(v) || v.version !== 1) return null;
  const { id, title, named, model, createdAt, updatedAt, turns } = v;
  if (typeof id !== 'string' || typeof title !== 'string' || (model !== null && !isModel(model))) return null;
  if (named !== undefined && typeof named !== 'boolean') return null;
  if (!isTime(createdAt) || !isTime(updatedAt) || !Array.isArray(turns) || !turns.every(isTurnRecord)) return null;
  const chat: SavedChat = { version: 1, id, title, model: model && { label: model.label, key: model.key }, createdAt, updatedAt, turns: turns.map(copyTurn) };
  if (named) chat.named = true;
  return chat;
}

/**
 * A copy of a turn's record with its known fields only, nothing shared with it (what is stored with
 * it besides, or kept beside it on screen, does not come along); optional fields only when they say
 * something.
 */
export function copyTurn(t: TurnRecord): TurnRecord {
  const turn: TurnRecord = { user: t.user, status: t.status, ...answerOf(t) };
  if (t.leftOut) turn.leftOut = true;
  if (t.others?.length) {
    turn.others = t.others.map((a) => ({ ...answerOf(a), status: a.status }));
    turn.position = t.position ?? t.others.length;
  }
  return turn;
}

function answerOf(a: Omit<AnswerRecord, 'status'>): Omit<AnswerRecord, 'status'> {
  return {
    reply: a.reply,
    reasoning: a.reasoning,
    answer: a.answer,
    thought: a.thought && { seconds: a.thought.seconds, answered: a.thought.answered },
    notes: a.notes.map((n) => ({ text: n.text, kind: n.kind })),
  };
}

const isModel = (m: unknown): m is { label: string; key: string } => isObject(m) && typeof m.label === 'string' && typeof m.key === 'string';

function isTurnRecord(t: unknown): t is TurnRecord {
  if (!isObject(t) || typeof t.user !== 'string' || !isAnswer(t, ['pending', 'done', 'failed'])) return false;
  const leftOut = t.leftOut === undefined || typeof t.leftOut === 'boolean';
  const others = t.others === undefined || (Array.isArray(t.others) && t.others.every((a) => isObject(a) && isAnswer(a, ['done', 'failed'])));
  const count = Array.isArray(t.others) ? t.others.length : 0;
  const position = t.position === undefined || (Number.isInteger(t.position) && (t.position as number) >= 0 && (t.position as number) <= count);
  return leftOut && others && position;
}

function isAnswer(a: Record<string, unknown>, statuses: readonly string[]): boolean {
  const strings = [a.reply, a.reasoning, a.answer].every((s) => typeof s === 'string');
  const status = statuses.includes(a.status as string);
  const thought = a.thought === null || (isObject(a.thought) && isTime(a.thought.seconds) && typeof a.thought.answered === 'boolean');
  const notes = Array.isArray(a.notes) && a.notes.every((n) => isObject(n) && typeof n.text === 'string' && (n.kind === 'info' || n.kind === 'error'));
  return strings && status && thought && notes;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
