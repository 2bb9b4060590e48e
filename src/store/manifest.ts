/**
 * How a model is kept in IndexedDB: each file in fixed-size chunks (one value per chunk, written in
 * order) and a manifest per model with every file's size and how many of its chunks are stored.
 * A download resumes at the first missing chunk; a model is whole when every file has all its
 * chunks, each of exactly the expected length.
 */

import { ggufPartOf } from '../formats/gguf-split.ts';

/** 16 MiB: small enough to hold in memory while it downloads, few enough values for a 10 GB model. */
export const CHUNK_BYTES = 16 * 2 ** 20;

export interface CachedFile {
  /** Relative path in the model folder, or the .gguf file's name. */
  path: string;
  sizeBytes: number;
  /** Chunks 0..storedChunks-1 are stored. */
  storedChunks: number;
}

export interface ModelManifest {
  version: 1;
  /** Normalized source (model-key.ts): an absolute URL or "hf:owner/name[/file.gguf]". */
  key: string;
  /** What the user typed, to download it again. */
  source: string;
  kind: 'gguf' | 'folder';
  chunkBytes: number;
  files: CachedFile[];
  /** ms since the epoch of the last write. */
  updatedAt: number;
}

/** IndexedDB keys: arrays, so that no URL or file name can run into another model's keys. */
export type StoreKey = ['manifest', string] | ['chunk', string, string, number];

export const manifestKey = (modelKey: string): StoreKey => ['manifest', modelKey];
export const chunkKey = (modelKey: string, path: string, index: number): StoreKey => ['chunk', modelKey, path, index];

export function chunkCount(sizeBytes: number, chunkBytes: number): number {
  return Math.ceil(sizeBytes / chunkBytes);
}

/** Byte range of chunk `index` of a file. */
export function chunkSpan(sizeBytes: number, chunkBytes: number, index: number): { offset: number; length: number } {
  const offset = index * chunkBytes;
  return { offset, length: Math.max(0, Math.min(chunkBytes, sizeBytes - offset)) };
}

function fileStoredBytes(f: CachedFile, chunkBytes: number): number {
  return Math.min(f.sizeBytes, f.storedChunks * chunkBytes);
}

/**
 * Every file has all its chunks; and a split .gguf has all its parts (a copy kept before split models
 * were read whole holds only the part that was named: the next load lists and fetches the others).
 */
export function isComplete(m: ModelManifest): boolean {
  const part = m.kind === 'gguf' ? ggufPartOf(m.files[0]?.path ?? '') : null;
  if (part && m.files.length !== part.count) return false;
  return m.files.every((f) => f.storedChunks >= chunkCount(f.sizeBytes, m.chunkBytes));
}

export function totalBytes(m: ModelManifest): number {
  return m.files.reduce((n, f) => n + f.sizeBytes, 0);
}

export function storedBytes(m: ModelManifest): number {
  return m.files.reduce((n, f) => n + fileStoredBytes(f, m.chunkBytes), 0);
}

/**
 * The manifest for a fresh listing of the remote files, keeping the progress of files whose size
 * is unchanged. Returns the files whose stored chunks are stale (changed size, or gone remotely).
 */
export function mergeListing(
  previous: ModelManifest | null,
  next: Omit<ModelManifest, 'files' | 'updatedAt'>,
  listing: { path: string; sizeBytes: number }[],
  now: number,
): { manifest: ModelManifest; stale: CachedFile[] } {
  const sameChunking = previous?.chunkBytes === next.chunkBytes;
  const stale = (previous?.files ?? []).filter((f) => !sameChunking || !listing.some((l) => l.path === f.path && l.sizeBytes === f.sizeBytes));
  const kept = new Map(sameChunking ? previous!.files.map((f) => [f.path, f]) : []);
  const files = listing.map(({ path, sizeBytes }) => {
    const old = kept.get(path);
    return { path, sizeBytes, storedChunks: old && old.sizeBytes === sizeBytes ? old.storedChunks : 0 };
  });
  return { manifest: { ...next, files, updatedAt: now }, stale };
}
