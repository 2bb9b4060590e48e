/**
 * An in-memory stand-in for IndexedDB. Values are cloned in and out as IndexedDB clones them, so a
 * manifest changed after it was written is not changed in the store (Blobs are immutable: kept as given).
 */
import type { KeyValueStore } from '../../src/store/kv-store.ts';
import type { StoreKey } from '../../src/store/manifest.ts';

const clone = (v: unknown) => (v instanceof Blob || v === undefined ? v : structuredClone(v));

export function memoryStore<K extends IDBValidKey = StoreKey>(): KeyValueStore<K> & { map: Map<string, { key: K; value: unknown }> } {
  const map = new Map<string, { key: K; value: unknown }>();
  const id = (k: K) => JSON.stringify(k);
  return {
    map,
    async get(k) {
      return clone(map.get(id(k))?.value);
    },
    async set(k, value) {
      map.set(id(k), { key: k, value: clone(value) });
    },
    async del(k) {
      map.delete(id(k));
    },
    async keys() {
      return [...map.values()].map((e) => e.key);
    },
  };
}

/** A static host with range requests, like Hugging Face or the dev server; records every request. */
export function fakeHost(files: Record<string, Uint8Array | string>) {
  const requests: { url: string; range: string | null; method: string }[] = [];
  const bytesOf = (v: Uint8Array | string) => (typeof v === 'string' ? new TextEncoder().encode(v) : v);
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const headers = new Headers(init?.headers);
    const method = init?.method ?? 'GET';
    requests.push({ url, range: headers.get('Range'), method });
    const body = files[url];
    if (body === undefined) return new Response('not found', { status: 404 });
    const bytes = bytesOf(body);
    if (method === 'HEAD') return new Response(null, { status: 200, headers: { 'Content-Length': String(bytes.length) } });
    const m = headers.get('Range')?.match(/^bytes=(\d+)-(\d+)$/);
    if (!m) return new Response(new Uint8Array(bytes), { status: 200 });
    const start = Number(m[1]);
    if (start >= bytes.length) return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${bytes.length}` } });
    const end = Math.min(Number(m[2]), bytes.length - 1);
    return new Response(bytes.slice(start, end + 1), { status: 206, headers: { 'Content-Range': `bytes ${start}-${end}/${bytes.length}` } });
  };
  return { fetch: fetch as typeof globalThis.fetch, requests, files };
}

/** Deterministic bytes that differ at every offset within 251. */
export function patterned(n: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) % 251);
}
