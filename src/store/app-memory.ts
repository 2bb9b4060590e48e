/**
 * What the app remembers between visits: the model last opened (so that a kept copy opens again by
 * itself) and the values of its settings fields. Read back checked; anything unreadable is
 * forgotten rather than half-applied.
 */
import type { AppStore, AppStoreKey } from './chat-history.ts';

export interface RememberedModel {
  /** Where it came from, as typed or picked: a URL, a path on this site or a Hugging Face repo. */
  source: string;
  /** Its key (model-key.ts): the same model typed another way has the same one. */
  key: string;
  /** Whether a copy is kept in this browser under that key (else it streams each time). */
  kept: boolean;
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
    if (typeof m?.source !== 'string' || typeof m.key !== 'string' || typeof m.kept !== 'boolean') return null;
  }
  const m = model as RememberedModel | null;
  return { version: 1, model: m && { source: m.source, key: m.key, kept: m.kept }, fields: { ...(fields as Record<string, string>) } };
}
