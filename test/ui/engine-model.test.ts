/** Elements sharing an engine load a model once; a failed load can be retried; a load can be stopped. */
import { expect, test } from 'vitest';
import type { LoadOptions, ModelInfo, RuntimeEngine } from '../../src/engine/api.ts';
import type { LoadProgress } from '../../src/engine/engine.ts';
import { heldModel, loadModel } from '../../src/ui/engine-model.ts';
import { withEngineLock } from '../../src/ui/engine-lock.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

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

test('a load stopped while it waits for the engine leaves the model held; one stopped after it began leaves none', async () => {
  const loads: unknown[] = [];
  // org/one loads at once; the others run until their signal aborts, as the real engine's upload would.
  const engine = {
    load(input: unknown, o: LoadOptions) {
      loads.push(input);
      if (input === 'org/one') return Promise.resolve({ name: String(input) } as ModelInfo);
      return new Promise((_, reject) => o.signal!.addEventListener('abort', () => reject(Object.assign(new Error('stopped'), { name: 'AbortError' }))));
    },
  } as unknown as RuntimeEngine;
  const first = await loadModel(engine, 'org/one');

  // A generation holds the engine, so the next load waits in line.
  let endGeneration!: () => void;
  const generation = withEngineLock(engine, () => new Promise<void>((r) => (endGeneration = r)));
  const waiting = new AbortController();
  const queued = loadModel(engine, 'org/two', { signal: waiting.signal });
  waiting.abort();
  await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
  endGeneration();
  await generation;
  expect(loads).toEqual(['org/one']);
  expect(await heldModel(engine)).toBe(first);

  const begun = new AbortController();
  const loading = loadModel(engine, 'org/two', { signal: begun.signal });
  await tick();
  expect(loads).toEqual(['org/one', 'org/two']);
  begun.abort();
  await expect(loading).rejects.toThrow('stopped');
  expect(heldModel(engine)).toBeNull();
});

test('a load stopped in line behind one still loading leaves that one held', async () => {
  let finishFirst!: () => void;
  const engine = {
    load(input: unknown) {
      return new Promise<ModelInfo>((resolve) => (finishFirst = () => resolve({ name: String(input) } as ModelInfo)));
    },
  } as unknown as RuntimeEngine;
  const first = loadModel(engine, 'org/one');
  const stop = new AbortController();
  const queued = loadModel(engine, 'org/two', { signal: stop.signal });
  stop.abort();
  await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
  expect(heldModel(engine)).toBe(first);
  finishFirst();
  expect(await heldModel(engine)).toMatchObject({ name: 'org/one' });
});

test('a load shared by callers stops only once none of them wants it; one without a signal always does', async () => {
  const stopped: unknown[] = [];
  const engine = {
    load(input: unknown, o: LoadOptions) {
      return new Promise<ModelInfo>((resolve, reject) => {
        o.signal!.addEventListener('abort', () => (stopped.push(input), reject(Object.assign(new Error('stopped'), { name: 'AbortError' }))));
        setTimeout(() => resolve({ name: String(input) } as ModelInfo), 50);
      });
    },
  } as unknown as RuntimeEngine;
  const [a, b] = [new AbortController(), new AbortController()];
  const first = loadModel(engine, 'org/one', { signal: a.signal });
  expect(loadModel(engine, 'org/one', { signal: b.signal })).toBe(first);
  await tick();
  a.abort();
  await tick();
  expect(stopped).toEqual([]);
  b.abort();
  await expect(first).rejects.toThrow('stopped');
  expect(stopped).toEqual(['org/one']);

  const c = new AbortController();
  const kept = loadModel(engine, 'org/two', { signal: c.signal });
  loadModel(engine, 'org/two');
  c.abort();
  await expect(kept).resolves.toMatchObject({ name: 'org/two' });
});
