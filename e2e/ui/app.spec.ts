/**
 * The app page with a scripted engine (fixtures/fake-engine.ts) in place of the GPU: the demo
 * model really downloads from the dev server into IndexedDB and is handed to the engine as Files;
 * the kept copy opens again without the network, resumes after a failed download, and is deleted;
 * settings reach the engine; errors read as plain words. Screenshots are attached.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Locator, type Page, type TestInfo } from '@playwright/test';
import { REPO_ROOT } from '../../scripts/lib/repo-root.ts';
import { ensureTestModel } from '../../scripts/lib/test-model-files.ts';
import { keptTurns, storedField } from './fixtures/app-store.ts';

const DEMO_DIR = path.join(REPO_ROOT, '.cache/demo-model');
const MIB16 = 16 * 2 ** 20;

test.beforeAll(async () => {
  // `npm start` builds the demo model; a test run may come first.
  await ensureTestModel({ arch: 'qwen2', format: 'safetensors', dtype: 'f16' }, DEMO_DIR);
});

type FakeWindow = { fake: { loads: unknown[]; lastOptions: Record<string, unknown>; calls: string[] } };

/** Opens the app with a scripted engine set on <r1-app>. */
async function openApp(page: Page): Promise<void> {
  await page.goto('/');
  await page.evaluate(async () => {
    const url = '/e2e/ui/fixtures/fake-engine.ts';
    const { createFakeEngine } = (await import(url)) as typeof import('./fixtures/fake-engine.ts');
    const fake = createFakeEngine({ tokenDelayMs: 2, loadDelayMs: 30 });
    (window as unknown as { fake: unknown }).fake = fake;
    (document.querySelector('r1-app') as unknown as { engine: unknown }).engine = fake;
  });
}

/** What the engine was last given: file names and sizes, or the string. */
const lastLoad = (page: Page) =>
  page.evaluate(() => {
    const input = (window as unknown as FakeWindow).fake.loads.at(-1);
    if (typeof input === 'string') return input;
    const files = (Array.isArray(input) ? input : [input]) as File[];
    return Object.fromEntries(files.map((f) => [f.name, f.size]));
  });

/** Loads the demo model into the app's scripted engine. */
async function loadDemo(app: Locator): Promise<void> {
  await app.getByRole('button', { name: 'Load the demo model' }).click();
  await expect(app.getByRole('status')).toContainText('/demo-model/ ready on fake adapter');
}

/** Asks a question and waits for the whole answer (its statistics line). */
async function ask(app: Locator, question: string): Promise<void> {
  await app.locator('#input').fill(question);
  await app.getByRole('button', { name: 'Send' }).click();
  await expect(app.locator('#stats')).toContainText('tok/s');
}

async function shot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await testInfo.attach(name, { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
}

test('demo model: downloaded into the browser, loaded with progress, settings reach the engine, opened again offline, deleted', async ({ page }, testInfo) => {
  await openApp(page);
  const app = page.locator('r1-app');
  await expect(app.locator('.note')).toContainText('random weights');
  await app.getByRole('button', { name: 'Load the demo model' }).click();
  await expect(app.locator('#progress-text')).toContainText(/Downloading: .* of \d+\.\d MiB|Uploading the weights/);
  await expect(app.getByRole('status')).toContainText('/demo-model/ ready on fake adapter');
  await shot(page, testInfo, 'loaded');
  // A context chosen after the load applies at the next one, and the page says so.
  await app.locator('#context').selectOption('8192');
  await expect(app.getByRole('status')).toHaveText('/demo-model/ stays as it was loaded: load it again to use the new context length.');
  await app.locator('#context').selectOption('4096');

  // The engine got the kept copy as Files, byte for byte the served model.
  const sizes = await lastLoad(page);
  const st = (f: string) => readFileSync(path.join(DEMO_DIR, f)).length;
  expect(sizes).toMatchObject({ 'config.json': st('config.json'), 'tokenizer.json': st('tokenizer.json'), 'model.safetensors': st('model.safetensors') });
  const same = await page.evaluate(async () => {
    const files = (window as unknown as { fake: { loads: File[][] } }).fake.loads[0];
    const kept = await files.find((f) => f.name === 'model.safetensors')!.arrayBuffer();
    const served = await (await fetch('/demo-model/model.safetensors')).arrayBuffer();
    const hex = async (b: ArrayBuffer) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', b))].map((x) => x.toString(16)).join('');
    return (await hex(kept)) === (await hex(served));
  });
  expect(same).toBe(true);

  // Sampling defaults come from the model; edits go to the chat and on to the engine.
  await app.locator('.settings summary').click();
  await expect(app.locator('#temperature')).toHaveValue('0.6');
  await expect(app.locator('#top-p')).toHaveValue('0.95');
  await app.locator('#temperature').fill('0.3');
  await app.locator('#max-tokens').fill('300');
  await app.locator('#input').fill('Hello!');
  await app.getByRole('button', { name: 'Send' }).click();
  await expect(app.locator('#stats')).toContainText('context used');
  await expect(app.locator('.answer strong')).toHaveText('the answer');
  expect(await page.evaluate(() => (window as unknown as FakeWindow).fake.lastOptions)).toEqual({ temperature: 0.3, topP: 0.95, maxNewTokens: 300 });

  // The kept copy is listed, and opens on the next visit without touching the network.
  await app.locator('#cached-section summary').click();
  const item = app.locator('#cached li');
  await expect(item).toHaveCount(1);
  await expect(item.locator('.name')).toHaveText('/demo-model/');
  await expect(item.locator('.size')).toHaveText(/^\d+\.\d MiB$/);
  await shot(page, testInfo, 'chat-and-kept-model');
  await openApp(page);
  const modelRequests: string[] = [];
  page.on('request', (r) => r.url().includes('/demo-model/') && modelRequests.push(r.url()));
  await app.locator('#cached-section summary').click();
  await app.locator('#cached li').getByRole('button', { name: 'Open' }).click();
  await expect(app.getByRole('status')).toContainText('ready on');
  expect(modelRequests).toEqual([]);
  expect(Object.keys(await lastLoad(page))).toContain('model.safetensors');

  // Deleting asks first.
  await app.locator('#cached li').getByRole('button', { name: 'Delete' }).click();
  await expect(app.locator('#cached li')).toHaveCount(1);
  await app.locator('#cached li').getByRole('button', { name: 'Really delete /demo-model/?' }).click();
  await expect(app.locator('#cached li')).toHaveText('No model is kept in this browser yet.');
});

test('an interrupted download resumes at the first missing chunk', async ({ page }) => {
  await openApp(page);
  const app = page.locator('r1-app');
  // The connection "drops" for everything past the first 16 MiB chunk of the weights.
  await page.route('**/demo-model/model.safetensors', (route) => {
    const start = Number(route.request().headers().range?.match(/bytes=(\d+)/)?.[1] ?? 0);
    return start >= MIB16 ? route.abort('connectionreset') : route.continue();
  });
  await app.getByRole('button', { name: 'Load the demo model' }).click();
  await expect(app.getByRole('status')).toContainText('The model files could not be read', { timeout: 20_000 });
  await app.locator('#cached-section summary').click();
  await expect(app.locator('#cached li .size')).toHaveText(/^\d+\.\d MiB of \d+\.\d MiB \(download paused\)$/);

  await page.unroute('**/demo-model/model.safetensors');
  const starts: number[] = [];
  page.on('request', (r) => {
    const m = r.url().endsWith('/model.safetensors') ? r.headers().range?.match(/bytes=(\d+)-(\d+)/) : null;
    if (m && m[2] !== '0') starts.push(Number(m[1]));
  });
  await app.locator('#cached li').getByRole('button', { name: 'Resume' }).click();
  await expect(app.getByRole('status')).toContainText('ready on');
  expect(Math.min(...starts)).toBe(MIB16);
  await expect(app.locator('#cached li .size')).toHaveText(/^\d+\.\d MiB$/);
});

test('Cancel pauses a download, and stops an upload to the GPU, leaving no model', async ({ page }) => {
  await openApp(page);
  const app = page.locator('r1-app');
  const status = app.getByRole('status');
  const cancel = app.getByRole('button', { name: 'Cancel' });
  const load = app.getByRole('button', { name: 'Load the demo model' });
  // The weights past the first chunk take a while to come.
  await page.route('**/demo-model/model.safetensors', async (route) => {
    const start = Number(route.request().headers().range?.match(/bytes=(\d+)/)?.[1] ?? 0);
    if (start >= MIB16) await new Promise((r) => setTimeout(r, 3_000));
    await route.continue().catch(() => {});
  });
  await load.click();
  await expect(app.locator('#progress-text')).toContainText('Downloading');
  await cancel.click();
  await expect(status).toHaveText('Download paused: load the model again to resume where it stopped.');
  await expect(cancel).toBeHidden();
  await expect(load).toBeEnabled();
  await page.unroute('**/demo-model/model.safetensors');

  // The download resumes; the upload is slow this time, and stopped.
  await page.evaluate(() => ((window as unknown as { fake: { script: { loadDelayMs: number } } }).fake.script.loadDelayMs = 1_000));
  await load.click();
  await expect(app.locator('#progress-text')).toContainText('Uploading the weights to the GPU');
  await cancel.click();
  await expect(status).toHaveText('Loading stopped: no model is loaded.');
  await expect(cancel).toBeHidden();
  await expect(load).toBeEnabled();
  await page.evaluate(() => ((window as unknown as { fake: { script: { loadDelayMs: number } } }).fake.script.loadDelayMs = 30));
  await load.click();
  await expect(status).toContainText('/demo-model/ ready on fake adapter');
});

test('local files: a dropped .gguf goes to the engine as it is; a wrong file is explained', async ({ page }) => {
  await openApp(page);
  const app = page.locator('r1-app');
  await app.locator('#files').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await expect(app.getByRole('status')).toContainText('notes.txt is not a model: give a .gguf file, or a Hugging Face model folder');
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(64)], 'tiny.Q8_0.gguf'));
    document.querySelector('r1-app')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await expect(app.getByRole('status')).toContainText('ready on');
  expect(await lastLoad(page)).toEqual({ 'tiny.Q8_0.gguf': 64 });
});

test('the source box suggests the R1 models; a suggestion not kept goes to the engine as typed', async ({ page }) => {
  await openApp(page);
  const app = page.locator('r1-app');
  await expect(app.locator('#source')).toHaveAttribute('list', 'catalog');
  const options = app.locator('#catalog option');
  expect(await options.count()).toBeGreaterThanOrEqual(8);
  const first = (await options.first().getAttribute('value'))!;
  expect(first).toMatch(/^unsloth\/DeepSeek-R1-Distill-Qwen-1\.5B-GGUF\/.*Q4_K_M\.gguf$/);
  await app.locator('#keep').uncheck();
  await app.locator('#source').fill(first);
  await app.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(app.getByRole('status')).toContainText('ready on');
  expect(await lastLoad(page)).toBe(first);
});

test('a source that is not a model folder is explained in plain words', async ({ page }, testInfo) => {
  await openApp(page);
  const app = page.locator('r1-app');
  await app.locator('#source').fill('/test-models/does-not-exist/');
  await app.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(app.getByRole('status')).toContainText('The model could not be found');
  await expect(app.getByRole('status')).toContainText('has no config.json');
  await app.locator('#source').fill('not a model');
  await app.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(app.getByRole('status')).toContainText('is not a model location');
  await shot(page, testInfo, 'error');
});

test('a model this GPU cannot hold is refused before any weight is read, saying why', async ({ page }) => {
  await openApp(page);
  await page.evaluate(() => {
    (window as unknown as { fake: { script: { planProblem: string } } }).fake.script.planProblem =
      'one layer of the KV cache (32768 tokens) takes 2048 MiB, more than this GPU\'s 1024 MiB buffer limit: choose a shorter context';
  });
  const app = page.locator('r1-app');
  await app.locator('#context').selectOption('32768');
  await app.getByRole('button', { name: 'Load the demo model' }).click();
  const status = app.getByRole('status');
  await expect(status).toContainText('with a 32768-token context needs');
  await expect(status).toContainText('It cannot load on this GPU: one layer of the KV cache (32768 tokens) takes 2048 MiB');
  await expect(status).toHaveClass(/error/);
  const calls = await page.evaluate(() => (window as unknown as FakeWindow).fake.calls);
  expect(calls).not.toContain('load');
});

const setTokenDelay = (page: Page, ms: number) => page.evaluate((d) => ((window as unknown as { fake: { script: { tokenDelayMs: number } } }).fake.script.tokenDelayMs = d), ms);

test('chats and settings are kept in the browser: a reload shows the last chat, the list opens and deletes chats, an interrupted answer can be asked again', async ({ page }, testInfo) => {
  await openApp(page);
  const app = page.locator('r1-app');
  const chats = app.locator('#chats li');
  await app.locator('#chats-section summary').click();
  await expect(chats).toHaveText(/No chat yet/);
  await app.getByRole('button', { name: 'Load the demo model' }).click();
  await expect(app.getByRole('status')).toContainText('/demo-model/ ready on fake adapter');
  const ask = async (text: string) => {
    await app.locator('#input').fill(text);
    await app.getByRole('button', { name: 'Send' }).click();
    await expect(app.locator('#stats')).toContainText('context used');
  };
  await ask('First question');
  await app.getByRole('button', { name: 'New chat' }).click();
  await ask('Second question');
  await expect(chats.locator('.name')).toHaveText(['Second question', 'First question']);
  await expect(chats.first().locator('.size')).toContainText('/demo-model/ · 1 turn');
  await app.locator('.settings summary').click();
  await app.locator('#temperature').fill('0.3');
  await app.locator('#system-prompt').fill('Be brief.');
  // The real engine would open the kept model by itself after the reload: this test keeps the fake one.
  await app.locator('#open-last').uncheck();
  await expect.poll(() => storedField(page, 'open-last')).toBe('false');

  await page.reload();
  await openApp(page);
  await app.locator('#chats-section summary').click();
  await app.locator('.settings summary').click();
  // The last chat is shown as it was: question, collapsed reasoning, rendered answer.
  await expect(app.locator('.msg.user')).toHaveText(['Second question']);
  await expect(app.locator('details.thinking summary')).toHaveText(/^Thought for \d+\.\d s$/);
  await expect(app.locator('.answer strong')).toHaveText('the answer');
  await expect(app.locator('#temperature')).toHaveValue('0.3');
  await expect(app.locator('#system-prompt')).toHaveValue('Be brief.');
  await expect(app.locator('#open-last')).not.toBeChecked();
  await expect(app.locator('#source')).toHaveValue('/demo-model/');
  await expect(chats.first().getByRole('button', { name: /Open chat/ })).toHaveText('Shown');
  await shot(page, testInfo, 'chat-list-after-reload');
  // No model yet: Regenerate and Edit say so and leave the kept chat as it is.
  await app.getByRole('button', { name: 'Regenerate' }).click();
  await expect(app.locator('.notice-text')).toHaveText('No model is loaded: open one, then ask again. The conversation is kept as it is.');
  await expect(app.locator('.answer strong')).toHaveText('the answer');
  expect(await page.evaluate(() => (window as unknown as FakeWindow).fake.calls)).not.toContain('generate');

  // The other chat opens; with the model loaded again it goes on from where it was.
  await chats.filter({ hasText: 'First question' }).getByRole('button', { name: /Open chat/ }).click();
  await expect(app.locator('.msg.user')).toHaveText(['First question']);
  await app.locator('#cached-section summary').click();
  await app.locator('#cached li').getByRole('button', { name: 'Open' }).click();
  await expect(app.getByRole('status')).toContainText('ready on');
  await expect(app.locator('#temperature')).toHaveValue('0.3');
  await ask('Follow-up');
  const sent = await page.evaluate(() => (window as unknown as { fake: { lastMessages: { role: string; content: string }[] } }).fake.lastMessages);
  expect(sent.map((m) => [m.role, m.content.slice(0, 14)])).toEqual([
    ['system', 'Be brief.'],
    ['user', 'First question'],
    ['assistant', 'The user greet'],
    ['user', 'Follow-up'],
  ]);
  // The kept reply goes back whole, reasoning and all, as the chat template expects it.
  expect(sent[2].content).toMatch(/^The user greets me[^]*<\/think>[^]*Here is \*\*the answer\*\*/);
  expect(await page.evaluate(() => (window as unknown as FakeWindow).fake.lastOptions)).toMatchObject({ temperature: 0.3 });
  await expect(chats.locator('.name')).toHaveText(['First question', 'Second question']);
  await expect(chats.first().locator('.size')).toContainText('2 turns');

  // Opening another chat while an answer streams stops it; it is kept as stopped, not as cut off.
  await setTokenDelay(page, 100);
  await app.locator('#input').fill('Switched away');
  await app.getByRole('button', { name: 'Send' }).click();
  await expect(app.locator('.reasoning').last()).toContainText('The user');
  await chats.filter({ hasText: 'Second question' }).getByRole('button', { name: /Open chat/ }).click();
  await expect(app.locator('.msg.user')).toHaveText(['Second question']);
  await expect(chats.locator('.name')).toHaveText(['First question', 'Second question']);
  await chats.filter({ hasText: 'First question' }).getByRole('button', { name: /Open chat/ }).click();
  await expect(app.locator('.msg.user')).toHaveText(['First question', 'Follow-up', 'Switched away']);
  await expect(app.locator('.turn-note').last()).toHaveText('Stopped.');
  await expect(app.locator('.reasoning').last()).toContainText('The user');

  // A page closed mid-answer keeps the question and what was shown up to the last second; the answer
  // shows as interrupted, and Regenerate asks again.
  await app.getByRole('button', { name: 'Regenerate' }).click();
  await expect.poll(async () => (await keptTurns(page)).at(-1)!.reasoning, { timeout: 20_000 }).not.toBe('');
  // The next token is far off: what is kept now is what the reload finds.
  await setTokenDelay(page, 600_000);
  await page.waitForTimeout(1500);
  const partial = (await keptTurns(page)).at(-1)!;
  expect(partial.status).toBe('pending');
  expect(partial.reasoning).toMatch(/^The u/);
  await page.reload();
  await openApp(page);
  await expect(app.locator('.msg.user')).toHaveText(['First question', 'Follow-up', 'Switched away']);
  await expect(app.locator('.turn-note.error')).toHaveText('Interrupted: the page closed before this answer was finished. Regenerate asks again.');
  await expect(app.locator('.reasoning').last()).toHaveText(partial.reasoning.trim());
  await expect(app.locator('details.thinking summary').last()).toHaveText('Thought (stopped before answering)');
  await app.locator('#cached-section summary').click();
  await app.locator('#cached li').getByRole('button', { name: 'Open' }).click();
  await expect(app.getByRole('status')).toContainText('ready on');
  await app.getByRole('button', { name: 'Regenerate' }).click();
  await expect(app.locator('#stats')).toContainText('context used');
  await expect(app.locator('.answer strong')).toHaveCount(3);
  await expect(app.locator('.turn-note.error')).toHaveCount(0);

  // Deleting asks first; the chat on screen goes with it, the other stays. (Once the answer is kept:
  // a list that changes is drawn afresh, and a question it was asking with it.)
  await expect.poll(async () => (await keptTurns(page)).at(-1)!.status).toBe('done');
  await app.locator('#chats-section summary').click();
  // Its name says "Delete chat …", then "Really delete chat …?".
  const remove = chats.filter({ hasText: 'First question' }).getByRole('button', { name: /delete chat/i });
  await remove.click();
  await expect(remove).toHaveText('Really delete?');
  await expect(app.locator('.msg.user')).toHaveCount(3);
  await remove.click();
  await expect(app.locator('.msg.user')).toHaveCount(0);
  await expect(chats.locator('.name')).toHaveText(['Second question']);
  await page.reload();
  await openApp(page);
  await expect(app.locator('.msg.user')).toHaveText(['Second question']);
});

test('a model other than the one a chat was held with starts a new chat; the old one stays in the list and exports as Markdown', async ({ page }) => {
  await openApp(page);
  const app = page.locator('r1-app');
  await app.getByRole('button', { name: 'Load the demo model' }).click();
  await expect(app.getByRole('status')).toContainText('/demo-model/ ready on fake adapter');
  await app.locator('#input').fill('Asked of the demo');
  await app.getByRole('button', { name: 'Send' }).click();
  await expect(app.locator('#stats')).toContainText('context used');
  // The same model typed another way is the same model: the chat stays.
  await app.locator('#keep').uncheck();
  await app.locator('#source').fill('/demo-model');
  await app.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(app.getByRole('status')).toContainText('/demo-model ready on fake adapter');
  await expect(app.locator('.msg.user')).toHaveText(['Asked of the demo']);
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(64)], 'other.Q8_0.gguf'));
    document.querySelector('r1-app')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await expect(app.getByRole('status')).toContainText('ready on');
  await expect(app.locator('.msg.user')).toHaveCount(0);
  await app.locator('#chats-section summary').click();
  await expect(app.locator('#chats li .name')).toHaveText(['Asked of the demo']);
  await expect(app.locator('#chats li .size')).toContainText('/demo-model/ · 1 turn');

  // Exported as Markdown: the question quoted, the reasoning folded, the answer as written.
  const [download] = await Promise.all([page.waitForEvent('download'), app.getByRole('button', { name: /Export chat/ }).click()]);
  expect(download.suggestedFilename()).toBe('Asked-of-the-demo.md');
  const md = readFileSync(await download.path(), 'utf8');
  expect(md).toMatch(/^# Asked of the demo\n\n_Model: \/demo-model\/ · \d{4}-\d\d-\d\d \d\d:\d\d UTC_\n\n## Question\n\n> Asked of the demo\n/);
  expect(md).toMatch(/<details><summary>Thought for \d+\.\d s<\/summary>\n\nThe user greets me/);
  expect(md).toContain('\nHere is **the answer**.\n');
});

test('under a dark system theme the page, the app and its chat are dark', async ({ page }, testInfo) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await openApp(page);
  const app = page.locator('r1-app');
  const bg = (el: Locator) => el.evaluate((e) => getComputedStyle(e).backgroundColor);
  expect(await bg(page.locator('body'))).toBe('rgb(18, 18, 20)');
  expect(await bg(app.locator('section.picker'))).toBe('rgb(28, 28, 30)');
  expect(await bg(app.locator('r1-chat'))).toBe('rgb(28, 28, 30)');
  expect(await app.locator('r1-chat').evaluate((e) => getComputedStyle(e).color)).toBe('rgb(232, 232, 228)');
  await shot(page, testInfo, 'dark');
  await page.emulateMedia({ colorScheme: 'light' });
  expect(await bg(app.locator('section.picker'))).toBe('rgb(255, 255, 255)');
});

test('the app is one screen high: the chat scrolls its messages, the question box stays in view, and a phone screen does not scroll sideways', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await openApp(page);
  const app = page.locator('r1-app');
  await loadDemo(app);
  for (const [i, question] of ['First question', 'Second question', 'Third question'].entries()) {
    await app.locator('#input').fill(question);
    await app.getByRole('button', { name: 'Send' }).click();
    await expect.poll(async () => (await keptTurns(page)).map((t) => t.status)).toEqual(Array(i + 1).fill('done'));
  }
  const layout = () =>
    page.evaluate(() => {
      const chat = document.querySelector('r1-app')!.shadowRoot!.querySelector('r1-chat')!.shadowRoot!;
      const messages = chat.querySelector('.messages')!;
      const input = chat.querySelector('#input')!.getBoundingClientRect();
      const doc = document.scrollingElement!;
      return {
        pageHeight: doc.scrollHeight,
        pageWidth: doc.scrollWidth,
        innerHeight,
        innerWidth,
        messagesScroll: messages.scrollHeight - messages.clientHeight,
        input: { top: input.top, bottom: input.bottom, left: input.left, right: input.right },
      };
    });
  const desk = await layout();
  expect(desk.pageHeight).toBeLessThanOrEqual(desk.innerHeight + 1);
  expect(desk.messagesScroll).toBeGreaterThan(0);
  expect(desk.input.top).toBeGreaterThanOrEqual(0);
  expect(desk.input.bottom).toBeLessThanOrEqual(desk.innerHeight);
  await testInfo.attach('desk', { body: await page.screenshot(), contentType: 'image/png' });

  // A phone: nothing wider than the screen, the panels opened included; the question box in view.
  await page.setViewportSize({ width: 390, height: 844 });
  await app.locator('#chats-section summary').click();
  await app.locator('.settings summary').click();
  const phone = await layout();
  expect(phone.pageWidth).toBeLessThanOrEqual(phone.innerWidth);
  expect(phone.pageHeight).toBeLessThanOrEqual(phone.innerHeight + 1);
  expect(phone.input.bottom).toBeLessThanOrEqual(phone.innerHeight);
  expect(phone.input.right).toBeLessThanOrEqual(phone.innerWidth);
  await testInfo.attach('phone', { body: await page.screenshot(), contentType: 'image/png' });

  // The file pickers are hidden from sight only: the keyboard reaches them.
  await app.locator('#keep').focus();
  await page.keyboard.press('Tab');
  await expect(app.locator('#files')).toBeFocused();
});

test('two tabs on one chat: each shows what the other added, so neither writes the other\'s turns away', async ({ context }) => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  for (const page of [a, b]) await openApp(page);
  const appA = a.locator('r1-app');
  const appB = b.locator('r1-app');
  await loadDemo(appA);
  await ask(appA, 'Asked in A');
  // B lists the new chat, opens it, and carries on with it.
  await appB.locator('#chats-section summary').click();
  await appB.locator('#chats li').getByRole('button', { name: 'Open' }).click();
  await expect(appB.locator('.msg.user')).toHaveText(['Asked in A']);
  await loadDemo(appB);
  await ask(appB, 'Asked in B');
  // A, idle, shows B's turn; what A asks next keeps both.
  await expect(appA.locator('.msg.user')).toHaveText(['Asked in A', 'Asked in B']);
  await ask(appA, 'Asked in A again');
  await expect(appB.locator('.msg.user')).toHaveText(['Asked in A', 'Asked in B', 'Asked in A again']);
  expect((await keptTurns(a)).map((t) => t.user)).toEqual(['Asked in A', 'Asked in B', 'Asked in A again']);
});

test('a chat renamed in the list keeps its name across reloads and new turns; an empty name gives the first question back', async ({ page }) => {
  await openApp(page);
  const app = page.locator('r1-app');
  await loadDemo(app);
  await ask(app, 'What is a GGUF file?');
  await app.locator('#chats-section summary').click();
  const item = app.locator('#chats li');
  await item.getByRole('button', { name: 'Rename chat What is a GGUF file?' }).click();
  await item.getByRole('textbox').fill('File formats');
  await item.getByRole('textbox').press('Enter');
  await expect(item.locator('.name')).toHaveText('File formats');

  await openApp(page);
  await app.locator('#chats-section summary').click();
  await expect(item.locator('.name')).toHaveText('File formats');
  await loadDemo(app);
  await ask(app, 'And safetensors?');
  await expect(item.locator('.size')).toContainText('2 turns');
  await expect(item.locator('.name')).toHaveText('File formats');

  await item.getByRole('button', { name: 'Rename chat File formats' }).click();
  await item.getByRole('textbox').fill('   ');
  await item.getByRole('textbox').press('Enter');
  await expect(item.locator('.name')).toHaveText('What is a GGUF file?');
});

test('two tabs answering in one chat at once: neither answer is lost, the one that went another way is kept as a chat of its own', async ({ context }) => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  for (const page of [a, b]) await openApp(page);
  const appA = a.locator('r1-app');
  const appB = b.locator('r1-app');
  for (const app of [appA, appB]) await loadDemo(app);
  await ask(appA, 'Q1');
  await appB.locator('#chats-section summary').click();
  await appB.locator('#chats li').getByRole('button', { name: 'Open' }).click();
  await expect(appB.locator('.msg.user')).toHaveText(['Q1']);

  // A answers slowly; B asks in the same chat meanwhile.
  await a.evaluate(() => ((window as unknown as { fake: { script: { tokenDelayMs: number } } }).fake.script.tokenDelayMs = 20));
  await appA.locator('#input').fill('Q2 in A');
  await appA.getByRole('button', { name: 'Send' }).click();
  await expect(appA.locator('.reasoning').last()).toContainText('The user');
  await ask(appB, 'Q2 in B');
  await expect(appA.locator('#stats')).toContainText('tok/s', { timeout: 30_000 });

  await expect(appA.locator('.msg.user')).toHaveText(['Q1', 'Q2 in A']);
  await expect(appB.locator('.msg.user')).toHaveText(['Q1', 'Q2 in B']);
  const kept = await a.evaluate(async () => {
    const { idbKeyValueStore } = await import('/src/store/kv-store.ts' as string);
    const { listChats } = await import('/src/store/chat-history.ts' as string);
    const chats = (await listChats(idbKeyValueStore('r1-webgpu-app', 'state'))) as { turns: { user: string; status: string }[] }[];
    return chats.map((c) => c.turns.map((t) => `${t.user}:${t.status}`)).sort();
  });
  expect(kept).toEqual([
    ['Q1:done', 'Q2 in A:done'],
    ['Q1:done', 'Q2 in B:done'],
  ]);
});
