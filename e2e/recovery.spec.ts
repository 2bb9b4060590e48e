/**
 * Lost GPU devices and failing workers, through the worker engine the app uses (e2e/harness/recovery.ts):
 * the generation in flight ends at once with a named error, the engine says what happened and loads
 * the model again by itself, and the next generation gives the same greedy tokens as before.
 */
import { expect, test, type Page } from '@playwright/test';
import { callHarness } from './harness/call.ts';
import { ensureSmallVocabModel, TEST_MODEL_URL } from '../scripts/lib/test-model-files.ts';

const call = <T>(page: Page, fn: string, arg: unknown) => callHarness<T>(page, 'recovery', fn, arg);

/** Raw ids below the small model's 1024-token vocabulary. */
const IDS = [17, 300, 5, 999, 42, 7, 128, 64];

type InFlight = { tokens: number; error: { name: string; message: string } | null; endedAfterMs: number };

let url: string;

test.beforeAll(async () => {
  url = TEST_MODEL_URL(await ensureSmallVocabModel());
});

test.beforeEach(async ({ page }) => {
  page.on('pageerror', (e) => console.log('page error:', e.message));
  await page.goto('/e2e/harness.html');
});

test('a lost GPU device: the answer in flight fails with GpuDeviceLostError, the model reloads, the next answer is the same', async ({ page }) => {
  const r = await call<{
    before: number[];
    after: number[];
    idle: number[];
    inFlight: InFlight;
    events: string[];
    recovered: number;
    memoryBefore: { gpuLiveBytes: number; gpuLiveBuffers: number };
    memoryAfter: { gpuLiveBytes: number; gpuLiveBuffers: number };
  }>(page, 'deviceLoss', { url, ids: IDS });
  console.log('device loss:', JSON.stringify({ inFlight: r.inFlight, events: r.events, memoryBefore: r.memoryBefore, memoryAfter: r.memoryAfter }));
  expect(r.before).toHaveLength(24);
  expect(r.inFlight.error?.name).toBe('GpuDeviceLostError');
  expect(r.inFlight.error?.message).toMatch(/^the GPU device was lost during this answer \(.+\); the model is being loaded again on a new device/);
  // Ended promptly: a few tokens may already have been on their way, not the remaining ~200.
  expect(r.inFlight.tokens).toBeLessThan(50);
  expect(r.inFlight.endedAfterMs).toBeLessThan(5_000);
  expect(r.events.slice(0, 3)).toEqual(['lost:device', 'reloading:device', 'recovered:device']);
  expect(r.recovered).toBe(2);
  expect(r.after).toEqual(r.before);
  expect(r.idle).toEqual(r.before);
  // The new device holds what the old one did (the lost device's buffers are not counted).
  expect(r.memoryAfter.gpuLiveBuffers).toBe(r.memoryBefore.gpuLiveBuffers);
  expect(r.memoryAfter.gpuLiveBytes).toBe(r.memoryBefore.gpuLiveBytes);
});

for (const how of ['throw', 'exit'] as const) {
  const what = how === 'throw' ? 'throws outside any call' : 'ends (as a killed worker would)';
  test(`a worker that ${what}: the answer in flight fails with WorkerCrashedError, a new worker reloads the model`, async ({ page }) => {
    const r = await call<{
      before: number[];
      after: number[];
      idle: number[];
      inFlight: InFlight;
      events: string[];
      lost: { error: { name: string; message: string }; reloading: boolean };
    }>(page, 'workerCrash', { url, ids: IDS, how });
    console.log(`worker ${how}:`, JSON.stringify({ inFlight: r.inFlight, events: r.events }));
    expect(r.inFlight.error?.name).toBe('WorkerCrashedError');
    expect(r.inFlight.error?.message).toMatch(
      how === 'throw' ? /^the engine's worker failed \(.*injected failure: the worker threw outside any call\)/ : /^the engine's worker ended/,
    );
    expect(r.inFlight.endedAfterMs).toBeLessThan(5_000);
    expect(r.lost).toMatchObject({ reloading: true, error: { name: 'WorkerCrashedError' } });
    expect(r.events).toEqual(['lost:worker', 'reloading:worker', 'recovered:worker', 'lost:worker', 'reloading:worker', 'recovered:worker']);
    expect(r.after).toEqual(r.before);
    expect(r.idle).toEqual(r.before);
  });
}

test('a worker that dies again while reloading: no restart loop, recovery-failed, and loading again starts over', async ({ page }) => {
  const r = await call<{
    before: number[];
    after: number[];
    events: string[];
    failure: { error: { name: string; message: string } };
    withoutModel: { name: string; message: string } | null;
  }>(page, 'crashWhileReloading', { url, ids: IDS });
  console.log('crash while reloading:', JSON.stringify({ events: r.events, withoutModel: r.withoutModel }));
  expect(r.events).toEqual(['lost:worker', 'reloading:worker', 'lost:worker', 'recovery-failed:worker']);
  expect(r.failure.error.name).toBe('WorkerCrashedError');
  expect(r.withoutModel?.name).toBe('EngineNotLoadedError');
  expect(r.after).toEqual(r.before);
});

test('a worker whose script does not load: the call fails with WorkerCrashedError, it does not wait forever', async ({ page }) => {
  const r = await call<{ name: string; message: string; ms: number; events: string[] } | null>(page, 'brokenWorkerScript', { url });
  expect(r).toMatchObject({ name: 'WorkerCrashedError', message: "the engine's worker could not start: its script did not load" });
  expect(r!.ms).toBeLessThan(10_000);
  // No model was loaded, so there is nothing to reload.
  expect(r!.events).toEqual(['lost:worker']);
});

test('a stopped load, before the call or during the upload, leaves no model and no GPU memory; the next load works', async ({ page }) => {
  type Err = { name: string; message: string } | null;
  type Stopped = { withoutModel: Err; memory: { gpuLiveBytes: number; gpuLiveBuffers: number } };
  const r = await call<{
    before: number[];
    after: number[];
    beforeCall: Err;
    afterEarly: Stopped;
    duringUpload: Err;
    afterMidway: Stopped;
    lastPhase: string;
    events: string[];
  }>(page, 'stoppedLoads', { url, ids: IDS });
  const error = { name: 'AbortError', message: 'the model load was stopped before it finished' };
  const none = { withoutModel: { name: 'EngineNotLoadedError', message: 'no model is loaded: call load() first' }, memory: { gpuLiveBytes: 0, gpuLiveBuffers: 0 } };
  expect(r.beforeCall).toEqual(error);
  expect(r.afterEarly).toMatchObject(none);
  expect(r.duringUpload).toEqual(error);
  expect(r.lastPhase).toBe('uploading');
  expect(r.afterMidway).toMatchObject(none);
  expect(r.after).toEqual(r.before);
  // Nothing was lost: a stopped load is not a failure to recover from.
  expect(r.events).toEqual([]);
});
