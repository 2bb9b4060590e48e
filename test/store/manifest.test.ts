/** Chunk arithmetic, manifest merging and model keys. */
import { describe, expect, test } from 'vitest';
import { chunkCount, chunkSpan, isComplete, mergeListing, storedBytes, totalBytes, type ModelManifest } from '../../src/store/manifest.ts';
import { modelKeyOf } from '../../src/store/model-key.ts';

const head = { version: 1 as const, key: 'k', source: 's', kind: 'folder' as const, chunkBytes: 100 };

describe('chunks', () => {
  test.each([
    [0, 0],
    [1, 1],
    [100, 1],
    [101, 2],
    [250, 3],
  ])('%i bytes make %i chunks of 100', (size, n) => expect(chunkCount(size, 100)).toBe(n));

  test('the last chunk is short', () => {
    expect(chunkSpan(250, 100, 1)).toEqual({ offset: 100, length: 100 });
    expect(chunkSpan(250, 100, 2)).toEqual({ offset: 200, length: 50 });
  });

  test('stored and total bytes, wholeness', () => {
    const m: ModelManifest = { ...head, updatedAt: 0, files: [{ path: 'a', sizeBytes: 250, storedChunks: 2 }, { path: 'b', sizeBytes: 0, storedChunks: 0 }] };
    expect([storedBytes(m), totalBytes(m), isComplete(m)]).toEqual([200, 250, false]);
    m.files[0].storedChunks = 3;
    expect([storedBytes(m), isComplete(m)]).toEqual([250, true]);
  });

  test('a split .gguf kept as one part (before parts were kept together) is not whole', () => {
    const part = (i: number) => ({ path: `m-0000${i}-of-00002.gguf`, sizeBytes: 50, storedChunks: 1 });
    expect(isComplete({ ...head, kind: 'gguf', updatedAt: 0, files: [part(1)] })).toBe(false);
    expect(isComplete({ ...head, kind: 'gguf', updatedAt: 0, files: [part(1), part(2)] })).toBe(true);
    expect(isComplete({ ...head, kind: 'gguf', updatedAt: 0, files: [{ path: 'm.gguf', sizeBytes: 50, storedChunks: 1 }] })).toBe(true);
  });
});

describe('mergeListing', () => {
  const prev: ModelManifest = {
    ...head,
    updatedAt: 1,
    files: [
      { path: 'same', sizeBytes: 300, storedChunks: 2 },
      { path: 'resized', sizeBytes: 300, storedChunks: 3 },
      { path: 'gone', sizeBytes: 10, storedChunks: 1 },
    ],
  };

  test('keeps progress of unchanged files, restarts resized ones, reports stale ones', () => {
    const { manifest, stale } = mergeListing(prev, head, [{ path: 'same', sizeBytes: 300 }, { path: 'resized', sizeBytes: 301 }, { path: 'new', sizeBytes: 5 }], 9);
    expect(manifest.files).toEqual([
      { path: 'same', sizeBytes: 300, storedChunks: 2 },
      { path: 'resized', sizeBytes: 301, storedChunks: 0 },
      { path: 'new', sizeBytes: 5, storedChunks: 0 },
    ]);
    expect(stale.map((f) => f.path)).toEqual(['resized', 'gone']);
    expect(manifest.updatedAt).toBe(9);
  });

  test('a different chunk size invalidates everything', () => {
    const { manifest, stale } = mergeListing(prev, { ...head, chunkBytes: 50 }, [{ path: 'same', sizeBytes: 300 }], 9);
    expect(manifest.files[0].storedChunks).toBe(0);
    expect(stale).toHaveLength(3);
  });

  test('a first download has nothing stale', () => {
    expect(mergeListing(null, head, [{ path: 'a', sizeBytes: 1 }], 0).stale).toEqual([]);
  });
});

describe('modelKeyOf', () => {
  const base = 'http://localhost:5173/app/index.html';
  test.each([
    ['/demo-model', 'http://localhost:5173/demo-model/', 'folder'],
    ['/demo-model/', 'http://localhost:5173/demo-model/', 'folder'],
    ['./m/x.gguf', 'http://localhost:5173/app/m/x.gguf', 'gguf'],
    ['https://host/a/b.GGUF?download=1', 'https://host/a/b.GGUF?download=1', 'gguf'],
    ['https://host/folder#frag', 'https://host/folder/', 'folder'],
    ['deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B', 'hf:deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B', 'folder'],
    ['org/repo-GGUF/sub/m.Q4_0.gguf', 'hf:org/repo-GGUF/sub/m.Q4_0.gguf', 'gguf'],
  ])('%s -> %s (%s)', (source, key, kind) => {
    expect(modelKeyOf(source, base)).toMatchObject({ key, kind });
  });

  test('unusable sources are named with what to give instead', () => {
    expect(() => modelKeyOf('just words', base)).toThrow(/not a model location/);
    expect(() => modelKeyOf('org/repo/config.json', base)).toThrow(/only a \.gguf file of a repo can be named/);
  });
});
