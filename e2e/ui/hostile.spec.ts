/**
 * Hostile output and input in the real <r1-chat>: model answers, model reasoning and user messages
 * full of script, event handlers, javascript: and data: links, tracking images, KaTeX \href and
 * \htmlStyle, macro bombs and mutation-XSS shapes show as text or inert markup: nothing runs, no
 * dialog opens, no request leaves, no navigation happens. Then, with the real engine in its worker
 * (the scripted model), messages far longer than the context window end in a plain-words notice
 * while the page stays responsive, and a model whose chat template is a bomb is explained, not run.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { ensureScriptedModel, TEST_MODEL_DIR, TEST_MODEL_URL } from '../../scripts/lib/test-model-files.ts';
import { HOSTILE_MARKDOWN, HOSTILE_PATH } from './fixtures/hostile-text.ts';

type Win = { __pwned?: unknown; chatReady?: boolean; fakeEngine: { script: { reasoning: string; answer: string } } };

/** Everything the page does that hostile text could cause: dialogs, requests off the app, page errors. */
function watch(page: Page) {
  const seen = { dialogs: [] as string[], requests: [] as string[], errors: [] as string[] };
  page.on('dialog', (d) => {
    seen.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith(HOSTILE_PATH) || (url.hostname !== 'localhost' && url.protocol !== 'data:')) seen.requests.push(r.url());
  });
  page.on('pageerror', (e) => seen.errors.push(e.message));
  return seen;
}

/** Elements and attributes in the chat's messages that could run code, fetch or restyle the page. */
function dangerousMarkup(page: Page, chatId: string): Promise<string[]> {
  return page.evaluate((id) => {
    const root = document.getElementById(id)!.shadowRoot!.getElementById('messages')!;
    const BAD_TAGS = ['script', 'iframe', 'frame', 'object', 'embed', 'img', 'image', 'video', 'audio', 'source', 'link', 'style', 'base', 'meta', 'form', 'input', 'button', 'textarea', 'select', 'template', 'noscript', 'use', 'foreignobject', 'animate', 'set'];
    const URL_ATTRS = ['href', 'src', 'xlink:href', 'action', 'formaction', 'poster', 'data', 'background', 'srcset', 'ping'];
    // The chat's own controls, made as elements after sanitizing, where rendered Markdown cannot put
    // anything (beside a message, not in it) or, for a code block's Copy, one beside each <pre>.
    const controls = new Set([
      ...root.querySelectorAll(':scope > :is(.question-actions, .edit-question, .answer-versions), :scope > :is(.question-actions, .edit-question, .answer-versions) *, .msg.assistant > .copy-answer'),
      ...[...root.querySelectorAll('pre')].map((pre) => pre.nextElementSibling).filter((el) => el?.matches('button.copy-code:last-child')),
    ]);
    const found: string[] = [];
    for (const el of root.querySelectorAll('*')) {
      if (controls.has(el)) continue;
      const tag = el.localName.toLowerCase();
      if (BAD_TAGS.includes(tag)) found.push(`<${tag}>`);
      for (const a of el.attributes) {
        const name = a.name.toLowerCase();
        if (name.startsWith('on') || name === 'srcdoc') found.push(`${tag}[${name}]`);
        if (URL_ATTRS.includes(name) && !/^(https?:|mailto:|#)/i.test(a.value.trim())) found.push(`${tag}[${name}=${a.value}]`);
        if (name === 'style' && /url\(|expression\(|@import/i.test(a.value)) found.push(`${tag}[style=${a.value}]`);
      }
    }
    return found;
  }, chatId);
}

test('hostile answers, reasoning and user messages show as text: nothing runs, loads or navigates', async ({ page }) => {
  const seen = watch(page);
  await page.goto('/e2e/ui/fixtures/embed.html?delay=0&context=100000');
  await page.waitForFunction(() => (window as unknown as Win).chatReady === true);
  const url = page.url();
  const chat = page.locator('#a');
  await chat.evaluate((el) => el.setAttribute('max-new-tokens', '100000'));
  await page.evaluate((md) => {
    const s = (window as unknown as Win).fakeEngine.script;
    s.reasoning = `Let me think about this. ${md}`;
    s.answer = md;
  }, HOSTILE_MARKDOWN);
  await chat.locator('#input').fill(HOSTILE_MARKDOWN);
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('#stats')).toContainText('tok/s', { timeout: 90_000 });
  await chat.locator('details.thinking summary').click();

  // The user's message is exactly the text typed, as text.
  expect(await chat.locator('.msg.user').evaluate((el) => el.textContent)).toBe(HOSTILE_MARKDOWN.trim());
  expect(await chat.locator('.msg.user').evaluate((el) => el.children.length)).toBe(0);
  // Raw HTML in the answer and the reasoning reads as the text it is.
  for (const sel of ['.answer', '.reasoning']) {
    await expect(chat.locator(sel)).toContainText(`<script>window.__pwned = 'script'</script>`);
    await expect(chat.locator(sel)).toContainText('<svg onload=');
  }
  // Math still renders, but \href and \htmlStyle make no link or style.
  await expect(chat.locator('.answer .katex').first()).toBeVisible();
  expect(await dangerousMarkup(page, 'a')).toEqual([]);
  // Links that survive point at http(s) only; clicking the text of removed ones does nothing.
  const hrefs = await chat.locator('.msg a').evaluateAll((as) => as.map((a) => a.getAttribute('href')).filter((h) => h !== null));
  for (const h of hrefs) expect(h).toMatch(/^https?:/);
  await chat.locator('.answer').getByText('click me').click();
  await chat.locator('.answer').getByText('ref link').click();
  await chat.locator('.answer').getByText('styled').hover();

  // Give delayed effects (refresh, image loads, focus) time to happen if anything had slipped through.
  await page.waitForTimeout(1000);
  expect(await page.evaluate(() => (window as unknown as Win).__pwned)).toBeUndefined();
  expect(seen).toEqual({ dialogs: [], requests: [], errors: [] });
  expect(page.url()).toBe(url);

  // The same text again as a second turn: the earlier answer goes back to the engine as plain data.
  await chat.locator('#input').fill('And now?');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('#stats')).toContainText('tok/s', { timeout: 90_000 });
  expect(await dangerousMarkup(page, 'a')).toEqual([]);
  expect(await page.evaluate(() => (window as unknown as Win).__pwned)).toBeUndefined();
  expect(seen.dialogs.length + seen.requests.length).toBe(0);
});

// ---- the real engine ----

async function openReal(page: Page, model: string): Promise<void> {
  await page.goto(`/e2e/ui/fixtures/real-engine.html?model=${encodeURIComponent(model)}`);
  await page.waitForFunction(() => (window as unknown as Win).chatReady === true);
}

/** Largest gap (ms) between 20 ms timer ticks on the page's main thread while `during` runs. */
async function mainThreadGap(page: Page, during: () => Promise<void>): Promise<number> {
  await page.evaluate(() => {
    const w = window as unknown as { gap: number; last: number; tick: number };
    w.gap = 0;
    w.last = performance.now();
    w.tick = window.setInterval(() => {
      const now = performance.now();
      w.gap = Math.max(w.gap, now - w.last);
      w.last = now;
    }, 20);
  });
  await during();
  return page.evaluate(() => {
    const w = window as unknown as { gap: number; tick: number };
    clearInterval(w.tick);
    return w.gap;
  });
}

test('messages far past the context window, with the real engine: a plain notice, a responsive page, a chat that goes on', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  const seen = watch(page);
  await openReal(page, TEST_MODEL_URL(await ensureScriptedModel()));
  const chat = page.locator('#a');
  await chat.locator('#input').fill('Hello!');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('.answer')).toContainText('Hello there! Euler wrote', { timeout: 120_000 });
  await expect(chat.locator('#stats')).toContainText(/context used \d+ of 4096 tokens/);

  // About 6000 tokens: the engine refuses the prompt before any GPU work, with the numbers.
  await chat.locator('#input').fill('word '.repeat(6000));
  await chat.getByRole('button', { name: 'Send' }).click();
  const notice = chat.locator('.notice');
  await expect(notice).toContainText("This conversation is longer than the model's context window (4096 tokens)", { timeout: 60_000 });
  await expect(chat.locator('.turn-note.error')).toContainText(/The conversation no longer fits in the model's context window: the conversation needs \d{4,} tokens but the context window holds 4096/);
  await expect(chat.getByRole('button', { name: 'Send' })).toBeEnabled();

  // Two million characters (a pasted book): tokenized in the worker while the page keeps ticking.
  const huge = Array.from({ length: 2_000_000 / 20 }, (_, i) => `line ${String(i).padStart(8, '0')}.\n`).join('');
  await notice.getByRole('button', { name: 'New chat' }).click();
  await chat.locator('#input').evaluate((el, text) => ((el as HTMLTextAreaElement).value = text), huge);
  const t0 = Date.now();
  const gap = await mainThreadGap(page, async () => {
    await chat.getByRole('button', { name: 'Send' }).click();
    await expect(chat.locator('.turn-note.error')).toContainText(/the conversation needs \d{6,} tokens but the context window holds 4096/, { timeout: 120_000 });
  });
  const seconds = (Date.now() - t0) / 1000;
  testInfo.annotations.push({ type: 'long message', description: `2,000,000 characters refused in ${seconds.toFixed(1)} s; longest main-thread stall ${gap.toFixed(0)} ms` });
  console.log(`2 MB message: refused in ${seconds.toFixed(1)} s, longest main-thread stall ${gap.toFixed(0)} ms`);
  expect(gap).toBeLessThan(3000);
  await expect(notice).toContainText("longer than the model's context window");
  // The only turn: nothing earlier to leave out, so the notice offers a new chat alone.
  await expect(notice).toContainText('Start a new chat with a shorter message.');
  await expect(notice.getByRole('button', { name: 'Leave out oldest turns' })).toBeHidden();

  // A new chat works as before: nothing was left half-done in the engine.
  await notice.getByRole('button', { name: 'New chat' }).click();
  await chat.locator('#input').fill('Hello!');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('.answer')).toContainText('Hello there! Euler wrote', { timeout: 120_000 });
  expect(seen).toEqual({ dialogs: [], requests: [], errors: [] });
});

test('a model whose chat template is a bomb or an escape attempt: the chat explains it, nothing runs', async ({ page }) => {
  test.setTimeout(300_000);
  const scripted = await ensureScriptedModel();
  const dir = path.join(TEST_MODEL_DIR, 'scripted-hostile-template');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(scripted, dir, { recursive: true });
  const config = JSON.parse(readFileSync(path.join(scripted, 'tokenizer_config.json'), 'utf8'));
  const bomb = "{{ messages.constructor.constructor('self.__pwned = 1')() }}{% for i in range(10**9) %}{% endfor %}";
  writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ ...config, chat_template: bomb }));
  const seen = watch(page);
  await openReal(page, TEST_MODEL_URL(dir));
  const chat = page.locator('#a');
  await chat.locator('#input').fill('Hi');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('.turn-note.error')).toContainText("The model's chat template failed: the model's chat template failed to render", { timeout: 120_000 });
  expect(await page.evaluate(() => (window as unknown as Win).__pwned)).toBeUndefined();

  // The range() bomb alone: refused within the budget, the worker still answers.
  writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ ...config, chat_template: '{% for i in range(10**9) %}{% endfor %}' }));
  await openReal(page, TEST_MODEL_URL(dir));
  await chat.locator('#input').fill('Hi');
  const t0 = Date.now();
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('.turn-note.error')).toContainText('asks for range() of 1000000000 numbers', { timeout: 120_000 });
  expect(Date.now() - t0).toBeLessThan(60_000);
  expect(seen).toEqual({ dialogs: [], requests: [], errors: [] });
  rmSync(dir, { recursive: true, force: true });
});
