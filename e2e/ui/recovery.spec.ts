/**
 * The app with its real worker engine when things break mid-answer: a lost GPU device and a dead
 * worker. The cut-off answer says what happened, the status line follows the reload (the model is
 * read again from the copy kept in IndexedDB), Retry answers again with the conversation kept, and
 * when even the reload fails, "Reload model" starts over without reloading the page. The model is the
 * small-vocabulary one (fast on SwiftShader), greedy, so a retried answer repeats the cut-off one.
 */
import { expect, test, type Locator, type Page, type TestInfo } from '@playwright/test';
import { ensureSmallVocabModel, TEST_MODEL_URL } from '../../scripts/lib/test-model-files.ts';

let source: string;

test.beforeAll(async () => {
  source = TEST_MODEL_URL(await ensureSmallVocabModel());
});

async function shot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await testInfo.attach(name, { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
}

/** The app with the small model kept in IndexedDB and loaded, greedy. */
async function openApp(page: Page): Promise<Locator> {
  page.on('pageerror', (e) => console.log('page error:', e.message));
  await page.goto('/');
  const app = page.locator('r1-app');
  await app.locator('#source').fill(source);
  await app.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(app.locator('#status')).toContainText('ready on', { timeout: 60_000 });
  await app.locator('.settings summary').click();
  await app.locator('#temperature').fill('0');
  return app;
}

/** Debug hooks of the page's shared worker engine (the one the app uses). */
function engineDebug(page: Page, what: 'loseDevice' | 'crashWorker' | 'crashWhileReloading'): Promise<void> {
  return page.evaluate(async (w) => {
    const { sharedEngine } = (await import('/src/ui/shared-engine.ts' as string)) as typeof import('../../src/ui/shared-engine.ts');
    const engine = sharedEngine() as import('../../src/engine/client.ts').WorkerEngine;
    if (w === 'loseDevice') await engine.debug.loseDevice();
    else if (w === 'crashWorker') engine.debug.crashWorker('exit');
    else {
      // The new worker dies too, as soon as it starts reloading: recovery fails.
      let again = false;
      const stop = engine.onEvent((e) => {
        if (e.type === 'reloading' && !again) {
          again = true;
          stop();
          engine.debug.crashWorker('exit');
        }
      });
      engine.debug.crashWorker('exit');
    }
  }, what);
}

/** Sends a message that would run long, and breaks the engine once its first tokens are on screen. */
async function breakMidAnswer(app: Locator, text: string, breakIt: () => Promise<void>): Promise<string> {
  await app.locator('#max-tokens').fill('3000');
  await app.locator('#input').fill(text);
  await app.getByRole('button', { name: 'Send' }).click();
  const reasoning = app.locator('.reasoning').last();
  // Enough text to compare with the retried answer.
  await expect(reasoning).toHaveText(/\S[\s\S]{29}/);
  await breakIt();
  await expect(app.getByRole('button', { name: 'Send' })).toBeEnabled({ timeout: 10_000 });
  return (await reasoning.textContent()) ?? '';
}

/** Retries the cut-off answer (40 tokens, greedy) and returns its reasoning. */
async function retry(app: Locator): Promise<string> {
  await app.locator('#max-tokens').fill('40');
  await app.locator('.notice').getByRole('button', { name: 'Retry' }).click();
  await expect(app.locator('#stats')).toContainText('tok/s', { timeout: 30_000 });
  return (await app.locator('.reasoning').last().textContent()) ?? '';
}

/** Prefilled and prompt token counts from the stats line. */
async function prefill(app: Locator): Promise<[number, number]> {
  const m = (await app.locator('#stats').textContent())!.match(/prefilled (\d+) of (\d+)/)!;
  return [Number(m[1]), Number(m[2])];
}

/**
 * Greedy answers from the same prompt agree on their common length, less a few characters: where a
 * stream stopped, a partial UTF-8 sequence or a held-back "<" (maybe "</think>") can differ.
 */
function sameStart(a: string, b: string): void {
  const n = Math.min(a.length, b.length) - 4;
  expect(n).toBeGreaterThan(8);
  expect(a.slice(0, n)).toBe(b.slice(0, n));
}

test('a lost GPU device mid-answer: explained, the model reloads from the kept copy, Retry answers; a loss between turns keeps the conversation', async ({ page }, testInfo) => {
  const app = await openApp(page);
  const status = app.locator('r1-chat .status');
  // The first answer, so that the cut one and its retry both start from an empty KV cache: greedy
  // picks on a random model are near ties, and a prefill split differently may break them differently.
  const cut = await breakMidAnswer(app, 'Hello!', () => engineDebug(page, 'loseDevice'));
  await expect(app.locator('.turn-note.error')).toContainText('The GPU stopped responding: the GPU device was lost during this answer');
  await expect(app.locator('.notice')).toContainText('the conversation is kept');
  await expect(app.locator('.notice').getByRole('button', { name: 'Leave out oldest turns' })).toBeHidden();
  await expect(status).toContainText(/The GPU device was lost \(.+\)\. Loading the model again|Loading the model again after the GPU was lost|The model is loaded again/);
  await shot(page, testInfo, 'device lost');
  await expect(status).toContainText('The model is loaded again after the GPU was lost; the conversation is kept.', { timeout: 30_000 });
  await shot(page, testInfo, 'recovered');
  sameStart(await retry(app), cut);
  await expect(status).toBeHidden();

  // A second turn reuses the cache the new device built.
  await app.locator('#input').fill('Tell me more.');
  await app.getByRole('button', { name: 'Send' }).click();
  await expect(app.locator('.msg.user')).toHaveCount(2);
  await expect(app.locator('#stats')).toContainText('tok/s', { timeout: 30_000 });
  const [reused, twoTurns] = await prefill(app);
  expect(reused).toBeLessThan(twoTurns);
  const before = await app.locator('.reasoning').allTextContents();

  // Lost between turns: the next message waits for the reload, and the whole conversation goes to
  // the new device (all of it prefilled: its KV cache starts empty).
  await engineDebug(page, 'loseDevice');
  await expect(status).toContainText(/The GPU device was lost|Loading the model again|The model is loaded again/);
  await app.locator('#input').fill('Thanks.');
  await app.getByRole('button', { name: 'Send' }).click();
  await expect(app.locator('#stats')).toContainText('tok/s', { timeout: 30_000 });
  await expect(app.locator('.msg.user')).toHaveText(['Hello!', 'Tell me more.', 'Thanks.']);
  expect((await app.locator('.reasoning').allTextContents()).slice(0, 2)).toEqual(before);
  const [prefilled, prompt] = await prefill(app);
  expect(prompt).toBeGreaterThan(twoTurns);
  expect(prefilled).toBe(prompt);
  await shot(page, testInfo, 'next message');
});

test('a dead worker mid-answer: explained, a new worker reloads the model, Retry works; a failed reload offers "Reload model"', async ({ page }, testInfo) => {
  const app = await openApp(page);
  const status = app.locator('r1-chat .status');
  const errors: string[] = [];
  await page.exposeFunction('chatError', (name: string) => errors.push(name));
  await page.evaluate(() =>
    document.querySelector('r1-app')!.shadowRoot!.querySelector('r1-chat')!.addEventListener('error', (e) =>
      (window as unknown as { chatError: (n: string) => void }).chatError((e as unknown as CustomEvent<{ name: string }>).detail.name),
    ),
  );

  const cut = await breakMidAnswer(app, 'Hello!', () => engineDebug(page, 'crashWorker'));
  await expect(app.locator('.turn-note.error')).toContainText("The engine stopped: the engine's worker ended");
  await expect(status).toContainText(/The engine's worker stopped: ended|Loading the model again after the engine stopped|The model is loaded again/);
  await shot(page, testInfo, 'worker died');
  await expect(status).toContainText('The model is loaded again after the engine stopped; the conversation is kept.', { timeout: 30_000 });
  sameStart(await retry(app), cut);
  expect(errors).toEqual(['WorkerCrashedError']);

  // The next worker dies while it reloads: the reload failed, and the chat offers to load the model again.
  await engineDebug(page, 'crashWhileReloading');
  await expect(status).toContainText('The model could not be loaded again: The engine stopped', { timeout: 30_000 });
  const reload = app.locator('.notice').getByRole('button', { name: 'Reload model' });
  await expect(reload).toBeVisible();
  await shot(page, testInfo, 'reload failed');
  expect(errors).toEqual(['WorkerCrashedError', 'WorkerCrashedError']);
  await reload.click();
  await expect(status).toContainText('The model is loaded again; the conversation is kept.', { timeout: 30_000 });
  await app.locator('#input').fill('Still there?');
  await app.getByRole('button', { name: 'Send' }).click();
  await expect(app.locator('.msg.user')).toHaveText(['Hello!', 'Still there?']);
  await expect(app.locator('#stats')).toContainText('tok/s', { timeout: 30_000 });
  await shot(page, testInfo, 'started over');
});
