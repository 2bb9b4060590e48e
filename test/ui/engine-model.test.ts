/** Elements sharing an engine load a model once; a failed load can be retried. */
import { expect, test } from 'vitest';
import type { ModelInfo, RuntimeEngine } from '../../src/engine/api.ts';
import type { LoadProgress } from '../../src/engine/engine.ts';
import { heldModel, loadModel } from '../../src/ui/engine-model.ts';

function countingEngine(fail = false) {
  const loads: unknown[] = [];
  const engine = {
    async load(input: unknown, _o: unknown, onProgress?: (p: LoadProgress) => void) {
      loads.push(input);
      onProgress?.({ phase: 'uploading', loadedBytes: 1, totalBytes: 2 });
      await new Promise((r) => setTimeout(r, 5));
      if (fail && loads.length === 1) throw new Error('network down');
      return { name: String(input), contextLength: 64 } as unknown as ModelInfo;
    },
  } as unknown as RuntimeEngine;
  return { engine, loads };
}

test('the same source loads once, and both callers hear its progress', async () => {
  const { engine, loads } = countingEngine();
  const heard: string[] = [];
  const [a, b] = await Promise.all([
    loadModel(engine, 'org/model', {}, () => heard.push('a')),
    loadModel(engine, 'org/model', {}, () => heard.push('b')),
  ]);
  expect(a).toBe(b);
  expect(loads).toEqual(['org/model']);
  expect(heard.sort()).toEqual(['a', 'b']);
  expect(await heldModel(engine)).toBe(a);
});

test('another source loads again; files compare by identity', async () => {
  const { engine, loads } = countingEngine();
  const files = [new File(['x'], 'config.json')];
  await loadModel(engine, 'org/one');
  await loadModel(engine, files);
  await loadModel(engine, [...files]);
  await loadModel(engine, [new File(['x'], 'config.json')]);
  expect(loads).toHaveLength(3);
});

test('a failed load is forgotten, so asking again retries', async () => {
  const { engine, loads } = countingEngine(true);
  await expect(loadModel(engine, 'org/model')).rejects.toThrow('network down');
  expect(heldModel(engine)).toBeNull();
  await expect(loadModel(engine, 'org/model')).resolves.toMatchObject({ name: 'org/model' });
  expect(loads).toHaveLength(2);
});
