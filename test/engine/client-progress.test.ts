/**
 * A load's progress reaches the page over a message channel of its own, so a progress call the
 * worker sent just before its load returned may arrive after the result. The page must not show it
 * then: "Loading…: Ready" after "loaded" is what a UI test once caught. A fake worker (a
 * MessageChannel serving Comlink) holds back its last progress call and makes it only when the page
 * calls encode(), that is once the load's result is in; encode() returns after the page ran it.
 */
import * as Comlink from 'comlink';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createWorkerEngine, progressUntilSettled } from '../../src/engine/client.ts';
import type { LoadProgress } from '../../src/engine/engine.ts';

const ready: LoadProgress = { phase: 'ready', loadedBytes: 10, totalBytes: 10 };

function lateProgressWorker(): Worker {
  const { port1, port2 } = new MessageChannel();
  let late: ((p: LoadProgress) => Promise<void>) | undefined;
  Comlink.expose(
    {
      async load(_input: unknown, _opts: unknown, onProgress?: (p: LoadProgress) => Promise<void>) {
        await onProgress?.({ phase: 'uploading', loadedBytes: 0, totalBytes: 10 });
        late = onProgress;
        return { name: 'fake' };
      },
      async encode() {
        await late?.(ready);
        return [];
      },
      onEvent() {},
    },
    port2 as unknown as Comlink.Endpoint,
  );
  return Object.assign(port1, { terminate: () => (port1.close(), port2.close()) }) as unknown as Worker;
}

describe('load progress from the worker', () => {
  it('reaches the page while the load runs, never after it returned', async () => {
    const engine = createWorkerEngine(lateProgressWorker);
    const seen: { p: LoadProgress; afterLoad: boolean }[] = [];
    let loaded = false;
    await engine.load({ url: 'https://example.test/m.gguf' } as never, {}, (p) => seen.push({ p, afterLoad: loaded }));
    loaded = true;
    await engine.encode('');
    engine.terminate();
    expect(seen.map((s) => s.p.phase)).toEqual(['uploading']);
    expect(seen.some((s) => s.afterLoad)).toBe(false);
  });

  it('progressUntilSettled passes calls on until settle(), then drops them', () => {
    const got: string[] = [];
    const progress = progressUntilSettled((p) => got.push(p.phase));
    progress.proxy({ phase: 'uploading', loadedBytes: 1, totalBytes: 2 });
    progress.settle();
    progress.proxy(ready);
    expect(got).toEqual(['uploading']);
  });
});
