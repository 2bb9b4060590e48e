/**
 * Long run (@soak): thousands of generated tokens over many chat turns, and aborts each followed at
 * once by a new generation, in one page through the worker engine; GPU buffer bytes (counted on the
 * device: src/gpu/memory.ts) and the JS heaps of the page and of the worker (CDP, after a full GC)
 * must stay flat. The small-vocabulary model keeps it to about a minute on SwiftShader. Prints a
 * table of the measurements; `npx playwright test --grep @soak` runs it alone.
 */
import { expect, test, type Page } from '@playwright/test';
import { callHarness } from './harness/call.ts';
import { probeHeaps } from './harness/js-heap.ts';
import { ensureSmallVocabModel, TEST_MODEL_URL } from '../scripts/lib/test-model-files.ts';

const call = <T>(page: Page, fn: string, arg: unknown = null) => callHarness<T>(page, 'soak', fn, arg);

type Memory = { gpuLiveBytes: number; gpuLiveBuffers: number; gpuPeakBytes: number };
type Chat = { tokens: number; turns: number; newChats: number; prefilled: number; prompted: number; finish: Record<string, number> };
type Aborts = { tokens: number; aborts: number; finish: Record<string, number> };

/**
 * Allowed JS heap growth after GC: over the whole run (caches fill during the first rounds: the
 * tokenizer's word cache, compiled code), and over the last two rounds alone (~25 turns and 60
 * aborts: a leak of 10 KiB per turn or 4 KiB per abort would exceed it).
 */
const HEAP_SLACK_BYTES = 1 << 20;
const LATE_HEAP_SLACK_BYTES = 256 << 10;

test('soak: thousands of tokens, many turns, aborts and restarts; GPU memory and JS heaps stay flat', { tag: '@soak' }, async ({ page }) => {
  test.setTimeout(300_000);
  page.on('pageerror', (e) => console.log('page error:', e.message));
  const url = TEST_MODEL_URL(await ensureSmallVocabModel());
  await page.goto('/e2e/harness.html');
  await call(page, 'start', { url, contextLength: 512 });
  const heaps = await probeHeaps(page, 'r1-engine');
  const rows: { phase: string; tokens: number; turns: number; aborts: number; gpu: Memory; workerHeap: number; pageHeap: number; seconds: number }[] = [];
  const total = { tokens: 0, turns: 0, aborts: 0, newChats: 0, prefilled: 0, prompted: 0 };
  const t0 = Date.now();
  const sample = async (phase: string) => {
    rows.push({ phase, ...total, gpu: await call<Memory>(page, 'memory'), workerHeap: await heaps.worker(), pageHeap: await heaps.page(), seconds: (Date.now() - t0) / 1000 });
  };
  const chat = async (minTokens: number, fromScratch = false) => {
    const r = await call<Chat>(page, 'chat', { minTokens, maxNewTokens: 64, fromScratch });
    total.tokens += r.tokens;
    total.turns += r.turns;
    total.newChats += r.newChats;
    total.prefilled += r.prefilled;
    total.prompted += r.prompted;
  };
  const aborts = async (n: number) => {
    const r = await call<Aborts>(page, 'abortLoop', { n });
    expect(r.finish.abort, JSON.stringify(r.finish)).toBeGreaterThanOrEqual(n - 2);
    total.tokens += r.tokens;
    total.aborts += r.aborts;
  };

  // Warm-up: every graph the run replays is built (decode, and the full 128-token prefill chunk of a
  // conversation prefilled from scratch), every pipeline compiled.
  await chat(200);
  await chat(1, true);
  await aborts(7);
  await sample('warm');
  for (let round = 1; round <= 3; round++) {
    await chat(900);
    await sample(`chat ${round}`);
    await aborts(30);
    await sample(`aborts ${round}`);
  }
  await heaps.close();
  await call(page, 'stop');

  const mib = (n: number) => (n / 2 ** 20).toFixed(3);
  console.log(`soak: ${total.tokens} tokens generated, ${total.turns} chat turns (${total.newChats} new chats; ${total.prefilled} of ${total.prompted} prompt tokens prefilled), ${total.aborts} aborts with restart`);
  console.log('phase      | tokens | turns | aborts | GPU live bytes | GPU buffers | worker heap MiB | page heap MiB | s');
  for (const r of rows) {
    console.log(
      `${r.phase.padEnd(10)} | ${String(r.tokens).padStart(6)} | ${String(r.turns).padStart(5)} | ${String(r.aborts).padStart(6)} | ` +
        `${String(r.gpu.gpuLiveBytes).padStart(14)} | ${String(r.gpu.gpuLiveBuffers).padStart(11)} | ${mib(r.workerHeap).padStart(15)} | ${mib(r.pageHeap).padStart(13)} | ${r.seconds.toFixed(0)}`,
    );
  }

  expect(total.tokens).toBeGreaterThanOrEqual(3000);
  expect(total.turns).toBeGreaterThanOrEqual(20);
  const [warm, ...later] = rows;
  for (const r of later) {
    // Every buffer a turn or an abort makes is destroyed: the live set is exactly the warm one.
    expect(r.gpu.gpuLiveBytes, r.phase).toBe(warm.gpu.gpuLiveBytes);
    expect(r.gpu.gpuLiveBuffers, r.phase).toBe(warm.gpu.gpuLiveBuffers);
    expect(r.workerHeap - warm.workerHeap, `worker heap growth by ${r.phase}`).toBeLessThan(HEAP_SLACK_BYTES);
    expect(r.pageHeap - warm.pageHeap, `page heap growth by ${r.phase}`).toBeLessThan(HEAP_SLACK_BYTES);
  }
  const first = rows.find((r) => r.phase === 'aborts 1')!;
  const last = rows.at(-1)!;
  expect(last.workerHeap - first.workerHeap, 'worker heap growth over the last two rounds').toBeLessThan(LATE_HEAP_SLACK_BYTES);
  expect(last.pageHeap - first.pageHeap, 'page heap growth over the last two rounds').toBeLessThan(LATE_HEAP_SLACK_BYTES);
});
