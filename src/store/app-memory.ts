/**
 * What the app remembers between visits: the model last opened (so that a kept copy opens again by
 * itself) and the values of its settings fields. Read back checked; anything unreadable is
 * forgotten rather than half-applied.
 */
import type { AppStore, AppStoreKey } from './chat-history.ts';

export interface RememberedModel {
  /** Where it came from, as typed or picked: a URL, a path on this site or a Hugging Face repo. */
  source: string;
  /** The kept copy's key when the model is kept in this browser, else null (streamed each time). */
  keptKey: string | null;
}

export interface AppMemory {
  version: 1;
  model: RememberedModel | null;
  /** Settings fields by element id: their values, or 'true' / 'false' for checkboxes. */
  fields: Record<string, string>;
}

const MEMORY_KEY: AppStoreKey = ['memory'];
export const EMPTY_MEMORY: AppMemory = { version: 1, model: null, fields: {} };

export async function readMemory(store: AppStore): Promise<AppMemory> {
  return parseMemory(await store.get(MEMORY_KEY)) ?? EMPTY_MEMORY;
}

export async function writeMemory(store: AppStore, memory: AppMemory): Promise<void> {
  await store.set(MEMORY_KEY, memory);
}

export function parseMemory(v: unknown): AppMemory | null {
  if (typeof v !== 'object' || v === null) return null;
  const { version, model, fields } = v as Record<string, unknown>;
  if (version !== 1 || typeof fields !== 'object' || fields === null || Array.isArray(fields)) return null;
  if (!Object.values(fields).every((f) => typeof f === 'string')) return null;
  if (model !== null) {
    const m = model as Record<string, unknown> | undefined;
    if (typeof m?.source !== 'string' || (m.keptKey !== null && typeof m.keptKey !== 'string')) return null;
  }
  return { version: 1, model: model as RememberedModel | null, fields: { ...(fields as Record<string, string>) } };
}
