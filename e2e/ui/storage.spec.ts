/**
 * The model cache in a real browser (IndexedDB, Web Locks, the storage estimate), through the app
 * with a scripted engine (fixtures/fake-engine.ts) in place of the GPU: a full disk while caching
 * leaves a copy that is never opened as whole and resumes once there is room; an estimate that is
 * too small stops the download before it starts; two tabs downloading one model leave one exact
 * copy, fetched once; the copy survives a reload; deleting it gives its space back. The interrupted
 * download (connection lost) is in app.spec.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { REPO_ROOT } from '../../scripts/lib/repo-root.ts';
import { ensureTestModel } from '../../scripts/lib/test-model-files.ts';
import { storedField } from './fixtures/app-store.ts';

const DEMO_DIR = path.join(REPO_ROOT, '.cache/demo-model');
const MIB16 = 16 * 2 ** 20;

test.beforeAll(async () => {
  await ensureTestModel({ arch: 'qwen2', format: 'safetensors', dtype: 'f16' }, DEMO_DIR);
});

const WEIGHTS_BYTES = () => readFileSync(path.join(DEMO_DIR, 'model.safetensors')).length;
const DEMO_BYTES = () => ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'model.safetensors'].reduce((n, f) => n + readFileSync(path.join(DEMO_DIR, f)).length, 0);

type FakeWindow = { fake: { loads: unknown[] } };

async function openApp(page: Page): Promise<void> {
  await page.goto('/');
  await page.evaluate(async () => {
    const { createFakeEngine } = (await import('/e2e/ui/fixtures/fake-engine.ts' as string)) as typeof import('./fixtures/fake-engine.ts');
    const fake = createFakeEngine({ tokenDelayMs: 2, loadDelayMs: 10 });
    (window as unknown as { fake: unknown }).fake = fake;
    (document.querySelector('r1-app') as unknown as { engine: unknown }).engine = fake;
  });
}

/** Bytes of the weights file each range request of this page asked for (the one-byte size probes left out). */
function countWeightBytes(page: Page): { bytes: number } {
  const seen = { bytes: 0 };
  page.on('request', (r) => {
    const m = r.url().endsWith('/demo-model/model.safetensors') ? r.headers().range?.match(/bytes=(\d+)-(\d+)/) : null;
    if (m && m[2] !== '0') seen.bytes += Number(m[2]) - Number(m[1]) + 1;
  });
  return seen;
}

/** What the page's own code says about the kept demo model: the manifest's view and whether it opens as whole. */
const keptState = (page: Page) =>
  page.evaluate(async () => {
    const { idbKeyValueStore } = await import('/src/store/kv-store.ts' as string);
    const { listCachedModels } = await import('/src/store/model-cache.ts' as string);
    const { cachedModelFiles } = await import('/src/store/cached-model.ts' as string);
    const store = idbKeyValueStore();
    const models = (await listCachedModels(store)) as { key: string; complete: boolean; storedBytes: number; totalBytes: number }[];
    const key = `${location.origin}/demo-model/`;
    const opened = await cachedModelFiles(store, key).then(
      () => 'whole',
      (e: Error) => `${e.name}: ${e.message}`,
    );
    const keys = ((await store.keys()) as unknown[][]).filter((k) => k[1] === key).length;
    return { models, opened, keys };
  });

/** SHA-256 of the kept weights (as the engine was handed them) and of the served file. */
const sameAsServed = (page: Page) =>
  page.evaluate(async () => {
    const files = (window as unknown as { fake: { loads: File[][] } }).fake.loads.at(-1)!;
    const kept = await files.find((f) => f.name === 'model.safetensors')!.arrayBuffer();
    const served = await (await fetch('/demo-model/model.safetensors')).arrayBuffer();
    const hex = async (b: ArrayBuffer) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', b))].map((x) => x.toString(16)).join('');
    return (await hex(kept)) === (await hex(served));
  });

test('the disk fills while caching: a plain message, never opened as whole, resumed once there is room', async ({ page }) => {
  await openApp(page);
  const app = page.locator('r1-app');
  // IndexedDB refuses the weights after their first 16 MiB chunk, as a full disk makes it do.
  await page.evaluate(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (value: unknown, key?: IDBValidKey) {
      const full = Array.isArray(key) && key[0] === 'chunk' && key[2] === 'model.safetensors' && Number(key[3]) >= 1;
      if (full) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.call(this, value, key);
    };
  });
  await app.getByRole('button', { name: 'Load the demo model' }).click();
  await expect(app.getByRole('status')).toContainText(/The browser refused to store more of this model after [\d.]+ MiB of [\d.]+ MiB: its storage for this site is full/, { timeout: 30_000 });
  expect(await page.evaluate(() => (window as unknown as FakeWindow).fake.loads.length)).toBe(0);
  const partial = await keptState(page);
  expect(partial.models).toHaveLength(1);
  expect(partial.models[0].complete).toBe(false);
  expect(partial.opened).toMatch(/^CacheIncompleteError: .* is only partly downloaded/);

  // After a reload (the stub is gone: there is room again) the partial copy is still there, paused.
  await page.reload();
  await openApp(page);
  await app.locator('#cached-section summary').click();
  await expect(app.locator('#cached li .size')).toHaveText(/^\d+\.\d MiB of \d+\.\d MiB \(download paused\)$/);
  const bytes = countWeightBytes(page);
  await app.locator('#cached li').getByRole('button', { name: 'Resume' }).click();
  await expect(app.getByRole('status')).toContainText('ready on');
  // Only what was not kept came over the network; the copy is byte for byte the served file.
  expect(bytes.bytes).toBe(WEIGHTS_BYTES() - MIB16);
  expect(await sameAsServed(page)).toBe(true);
  expect((await keptState(page)).opened).toBe('whole');
});

test('too little room by the storage estimate: refused before any weight is fetched', async ({ page }) => {
  await openApp(page);
  const app = page.locator('r1-app');
  await page.evaluate(() => {
    navigator.storage.estimate = async () => ({ quota: 30 * 2 ** 20, usage: 2 ** 20 });
  });
  const bytes = countWeightBytes(page);
  await app.getByRole('button', { name: 'Load the demo model' }).click();
  await expect(app.getByRole('status')).toContainText(/Keeping this model needs [\d.]+ MiB more, but this browser lets the page store only 29\.0 MiB more\. Delete models kept in this browser/);
  expect(bytes.bytes).toBe(0);
  expect((await keptState(page)).opened).toMatch(/only partly downloaded/);
});

test('two tabs download the same model at once: one exact copy, fetched once, kept across a reload, deleted to free its space', async ({ context }) => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  await openApp(a);
  await openApp(b);
  const fetched = [countWeightBytes(a), countWeightBytes(b)];
  const before = await a.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  await Promise.all([a, b].map((p) => p.locator('r1-app').getByRole('button', { name: 'Load the demo model' }).click()));
  for (const p of [a, b]) await expect(p.locator('r1-app').getByRole('status')).toContainText('/demo-model/ ready on', { timeout: 60_000 });
  // The second tab waited on the first (a Web Lock per model) and found the copy whole.
  expect(fetched[0].bytes + fetched[1].bytes).toBe(WEIGHTS_BYTES());
  expect(await sameAsServed(a)).toBe(true);
  expect(await sameAsServed(b)).toBe(true);
  const kept = await keptState(a);
  expect(kept.models).toEqual([expect.objectContaining({ complete: true, totalBytes: DEMO_BYTES(), storedBytes: DEMO_BYTES() })]);

  // A reload keeps it; it opens without the network. (Not by itself: that would be with the real engine.)
  await a.locator('r1-app .settings summary').click();
  await a.locator('r1-app #open-last').uncheck();
  // Reloaded once the setting is written.
  await expect.poll(() => storedField(a, 'open-last')).toBe('false');
  await a.reload();
  await openApp(a);
  const requests: string[] = [];
  a.on('request', (r) => r.url().includes('/demo-model/') && requests.push(r.url()));
  const app = a.locator('r1-app');
  await app.locator('#cached-section summary').click();
  await app.locator('#cached li').getByRole('button', { name: 'Open' }).click();
  await expect(app.getByRole('status')).toContainText('ready on');
  expect(requests).toEqual([]);
  // Playwright's profiles keep IndexedDB in memory, where the estimate counts blobs only in part (48 MiB
  // of chunks read as about 16 MB): compare the space the copy took with what deleting gives back.
  const grown = (await a.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0)) - before;
  expect(grown).toBeGreaterThan(8 * 2 ** 20);

  // Deleting it leaves no key of it behind and gives the space back (the browser counts it lazily).
  await app.locator('#cached li').getByRole('button', { name: 'Delete' }).click();
  await app.locator('#cached li').getByRole('button', { name: 'Really delete' }).click();
  await expect(app.locator('#cached li')).toHaveText('No model is kept in this browser yet.');
  expect((await keptState(a)).keys).toBe(0);
  await b.close();
  await a.reload();
  await expect
    .poll(async () => (await a.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0)) - before, { timeout: 30_000 })
    .toBeLessThan(0.1 * grown);
});
