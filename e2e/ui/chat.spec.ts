/**
 * <r1-chat> against a scripted engine (fixtures/fake-engine.ts), so the UI is tested without a GPU:
 * the think block streams and collapses with its timing, the answer renders Markdown, code and math,
 * hostile model output stays inert, stop / regenerate / new chat work, and a full context is
 * explained with a way out. Screenshots are attached to the report.
 */
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { DEFAULT_SCRIPT, scriptPieces } from './fixtures/fake-engine.ts';

async function open(page: Page, query = ''): Promise<void> {
  await page.goto(`/e2e/ui/fixtures/embed.html${query}`);
  await page.waitForFunction(() => (window as unknown as { chatReady?: boolean }).chatReady === true);
}

/** Records every event the chat elements fire, by element id. */
async function recordEvents(page: Page): Promise<void> {
  await page.evaluate(() => {
    const log: { id: string; type: string; detail: unknown }[] = [];
    (window as unknown as { events: typeof log }).events = log;
    for (const el of document.querySelectorAll('r1-chat')) {
      for (const type of ['ready', 'token', 'thinking-done', 'done', 'error']) {
        el.addEventListener(type, (e) => log.push({ id: el.id, type, detail: (e as CustomEvent).detail }));
      }
    }
  });
}

const events = (page: Page, type: string) =>
  page.evaluate((t) => (window as unknown as { events: { type: string; detail: unknown; id: string }[] }).events.filter((e) => e.type === t), type);

const setDelay = (page: Page, ms: number) =>
  page.evaluate((d) => ((window as unknown as { fakeEngine: { script: { tokenDelayMs: number } } }).fakeEngine.script.tokenDelayMs = d), ms);

async function shot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await testInfo.attach(name, { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
}

test('reasoning streams open, collapses with its time; the answer renders and hostile output is inert', async ({ page }, testInfo) => {
  await open(page, '?delay=25');
  await recordEvents(page);
  const chat = page.locator('#a');
  await chat.locator('#input').fill('Hello!');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('.msg.user')).toHaveText('Hello!');

  const think = chat.locator('details.thinking');
  await expect(think.locator('summary')).toHaveText('Thinking…');
  await expect(think).toHaveAttribute('open', '');
  await expect(think.locator('.reasoning')).toContainText('The user greets me');
  await shot(page, testInfo, 'thinking');
  await setDelay(page, 3);

  await expect(think.locator('summary')).toHaveText(/^Thought for \d+\.\d s$/);
  await expect(think).not.toHaveAttribute('open');
  const answer = chat.locator('.answer');
  await expect(chat.locator('#stats')).toContainText('tok/s');
  await expect(answer.locator('strong')).toHaveText('the answer');
  await expect(answer.locator('pre code')).toHaveText('console.log("<b>not bold</b>");');
  await expect(answer.locator('.katex')).toHaveCount(2);
  await expect(answer.locator('.katex-display')).toHaveCount(1);
  await expect(chat.locator('#stats')).toContainText(/prefilled \d+ of \d+ prompt tokens/);
  await expect(chat.locator('#stats')).toContainText(/context used \d+ of 4096 tokens/);

  // Hostile HTML shows as text; nothing from the model ran or became live markup.
  await expect(answer).toContainText('<script>window.__pwned = "script"</script>');
  await expect(answer).toContainText('<img src=x onerror=');
  for (const sel of ['script', 'img', 'iframe', 'a[href^="javascript" i]', '[onerror]']) {
    await expect(chat.locator(`.msg ${sel}`)).toHaveCount(0);
  }
  await expect(answer.getByText('click me')).toBeVisible();
  await answer.getByText('click me').click();
  await think.locator('summary').click();
  await expect(think.locator('.reasoning')).toContainText('<img src=x onerror=');
  expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();

  const thinkingDone = await events(page, 'thinking-done');
  expect(thinkingDone).toHaveLength(1);
  expect(typeof thinkingDone[0].detail).toBe('number');
  const done = await events(page, 'done');
  expect(done[0].detail).toMatchObject({ finishReason: 'stop' });
  expect((await events(page, 'token')).length).toBeGreaterThan(50);
  await shot(page, testInfo, 'answered');
});

test('stop mid-generation, regenerate (the stopped answer kept, to go back to), a second turn reuses the prefix, new chat', async ({ page }, testInfo) => {
  await open(page, '?delay=40');
  const chat = page.locator('#a');
  await chat.locator('#input').fill('Hi');
  await chat.locator('#input').press('Enter');
  await expect(chat.locator('.reasoning')).toContainText('The user');
  await chat.getByRole('button', { name: 'Stop' }).click();
  await expect(chat.locator('.turn-note')).toHaveText('Stopped.');
  await expect(chat.locator('details.thinking summary')).toContainText('stopped before answering');
  await expect(chat.getByRole('button', { name: 'Stop' })).toBeHidden();
  await expect(chat.getByRole('button', { name: 'Send' })).toBeEnabled();
  await shot(page, testInfo, 'stopped');

  await setDelay(page, 2);
  await chat.getByRole('button', { name: 'Regenerate' }).click();
  await expect(chat.locator('.answer strong')).toHaveText('the answer');
  await expect(chat.locator('.msg.assistant')).toHaveCount(1);
  await expect(chat.locator('.turn-note')).toHaveCount(0);
  // The stopped answer is kept: "‹ 2 / 2 ›" goes back to it and forth again.
  const pager = chat.locator('.answer-versions');
  await expect(pager).toHaveText('‹2 / 2›');
  await pager.getByRole('button', { name: 'Previous answer' }).click();
  await expect(pager).toHaveText('‹1 / 2›');
  await expect(chat.locator('.turn-note')).toHaveText('Stopped.');
  await expect(chat.locator('.answer strong')).toHaveCount(0);
  await expect(pager.getByRole('button', { name: 'Previous answer' })).toBeDisabled();
  const kept = await chat.evaluate((el) => (el as unknown as { conversation: { status: string; position?: number; others?: unknown[] }[] }).conversation[0]);
  expect(kept).toMatchObject({ status: 'done', position: 0, others: [{ status: 'done' }] });
  await pager.getByRole('button', { name: 'Next answer' }).click();
  await expect(pager).toHaveText('‹2 / 2›');
  await expect(chat.locator('.answer strong')).toHaveText('the answer');
  await expect(chat.locator('.turn-note')).toHaveCount(0);

  await chat.locator('#input').fill('And again?');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('.msg.assistant .answer strong')).toHaveCount(2);
  await expect(chat.getByRole('button', { name: 'Stop' })).toBeHidden();
  const m = (await chat.locator('#stats').textContent())!.match(/prefilled (\d+) of (\d+)/)!;
  expect(Number(m[1])).toBeLessThan(Number(m[2]));
  // An earlier reply goes back as generated, as a Hugging Face chat loop sends it; the template cuts
  // its reasoning and keeps what follows </think>, whitespace included.
  type Sent = { lastMessages: { role: string; content: string }[]; lastPrompt: string };
  const sent = await page.evaluate(() => (window as unknown as { fakeEngine: Sent }).fakeEngine);
  expect(sent.lastMessages.map((x) => x.role)).toEqual(['user', 'assistant', 'user']);
  expect(sent.lastMessages[1].content).toMatch(/^The user greets me[^]*<\/think>\n\nHere is \*\*the answer\*\*\./);
  expect(sent.lastPrompt).toContain('<｜Assistant｜>\n\nHere is **the answer**.');
  expect(sent.lastPrompt).not.toContain('The user greets me');

  await chat.getByRole('button', { name: 'New chat' }).click();
  await expect(chat.locator('.msg')).toHaveCount(0);
  await expect(chat.locator('#stats')).toHaveText('');
  expect(await page.evaluate(() => (window as unknown as { fakeEngine: { calls: string[] } }).fakeEngine.calls.at(-1))).toBe('reset');
});

test('copy buttons put the answer (as Markdown) and a code block (as its text) on the clipboard', async ({ context, page }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await open(page, '?delay=1');
  const chat = page.locator('#a');
  await chat.locator('#input').fill('Hello!');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('#stats')).toContainText('tok/s');
  const clipboard = () => page.evaluate(() => navigator.clipboard.readText());
  await expect(chat.getByRole('button', { name: 'Copy code' })).toHaveCount(1);
  await chat.getByRole('button', { name: 'Copy code' }).click();
  // Said in its text and, for screen readers, in its label.
  await expect(chat.locator('.copy-code')).toHaveText('Copied');
  await expect(chat.locator('.copy-code')).toHaveAttribute('aria-label', 'Copied');
  expect(await clipboard()).toBe('console.log("<b>not bold</b>");\n');
  const copyAnswer = chat.getByRole('button', { name: 'Copy answer' });
  await copyAnswer.click();
  await expect(chat.locator('.copy-answer')).toHaveText('Copied');
  const answer = await clipboard();
  expect(answer).toMatch(/^Here is \*\*the answer\*\*\.\n\n```js\n/);
  expect(answer).toContain('$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$');
  expect(answer).not.toContain('The user greets me');
  await expect(chat.locator('.copy-answer')).toHaveText('Copy answer', { timeout: 5000 });
});

test('the conversation as records: given at each turn, shown again when set, an unfinished answer marked interrupted', async ({ page }) => {
  await open(page, '?delay=1');
  const chat = page.locator('#a');
  await page.evaluate(() => {
    const log: unknown[] = [];
    (window as unknown as { changes: unknown[] }).changes = log;
    document.querySelector('#a')!.addEventListener('conversation-change', (e) => log.push((e as CustomEvent).detail));
  });
  await chat.locator('#input').fill('Hello!');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('#stats')).toContainText('tok/s');
  type Rec = { user: string; reply: string; status: string; reasoning: string; answer: string; thought: { seconds: number; answered: boolean } | null; notes: unknown[] };
  const changes = await page.evaluate(() => (window as unknown as { changes: Rec[][] }).changes);
  expect(changes[0]).toEqual([{ user: 'Hello!', reply: '', status: 'pending', reasoning: '', answer: '', thought: null, notes: [] }]);
  const last = changes.at(-1)![0];
  expect(last).toMatchObject({ user: 'Hello!', status: 'done', notes: [], thought: { answered: true } });
  expect(last.reasoning).toMatch(/^The user greets me/);
  expect(last.answer).toMatch(/^Here is \*\*the answer\*\*/);
  expect(last.reply).toMatch(/^The user greets me[^]*<\/think>\n\nHere is/);

  // Set on the other element, with a turn kept while it was still being answered.
  const shown = await page.evaluate((done: Rec) => {
    const el = document.querySelector('#b') as HTMLElement & { conversation: Rec[] };
    el.conversation = [done, { ...done, user: 'Cut?', status: 'pending', reply: '', answer: '', thought: null }];
    return el.conversation.map((r) => [r.status, r.notes]);
  }, last);
  expect(shown).toEqual([
    ['done', []],
    ['failed', [{ text: 'Interrupted: the page closed before this answer was finished. Regenerate asks again.', kind: 'error' }]],
  ]);
  const b = page.locator('#b');
  await expect(b.locator('.msg.user')).toHaveText(['Hello!', 'Cut?']);
  await expect(b.locator('.answer strong')).toHaveText('the answer');
  await expect(b.locator('details.thinking summary').first()).toHaveText(/^Thought for \d+\.\d s$/);
  await expect(b.locator('details.thinking').first()).not.toHaveAttribute('open');
  await expect(b.locator('.turn-note.error')).toContainText('Interrupted');
  await b.getByRole('button', { name: 'Regenerate' }).click();
  await expect(b.locator('.answer strong')).toHaveCount(2);
  await expect(b.locator('.turn-note')).toHaveCount(0);
});

test('an earlier question edited is asked again with the turns before it; the turns after it go', async ({ page }, testInfo) => {
  await open(page, '?delay=1');
  const chat = page.locator('#a');
  for (const q of ['Q1', 'Q2', 'Q3']) {
    await chat.locator('#input').fill(q);
    await chat.getByRole('button', { name: 'Send' }).click();
    await expect(chat.locator('#stats')).toContainText('tok/s');
  }
  const edits = chat.getByRole('button', { name: 'Edit this question' });
  await expect(edits).toHaveCount(3);
  // Escape leaves it as it was.
  await edits.nth(1).click();
  const editor = chat.getByRole('textbox', { name: 'Edited question' });
  await expect(editor).toHaveValue('Q2');
  // The editor says what asking again costs; the last question drops nothing.
  await expect(chat.locator('.edit-question:not([hidden]) .edit-note')).toHaveText('Asking again drops the turn after it.');
  await editor.fill('never sent');
  await editor.press('Escape');
  await expect(chat.locator('.msg.user')).toHaveText(['Q1', 'Q2', 'Q3']);
  await edits.nth(0).click();
  await expect(chat.locator('.edit-question:not([hidden]) .edit-note')).toHaveText('Asking again drops the 2 turns after it.');
  await chat.locator('.edit-question:not([hidden])').getByRole('button', { name: 'Cancel' }).click();
  await edits.nth(2).click();
  await expect(chat.locator('.edit-question:not([hidden]) .edit-note')).toBeHidden();
  await chat.locator('.edit-question:not([hidden])').getByRole('button', { name: 'Cancel' }).click();

  await setDelay(page, 30);
  await edits.nth(1).click();
  await editor.fill('Q2, said better');
  await shot(page, testInfo, 'editing');
  await chat.getByRole('button', { name: 'Ask again' }).click();
  await expect(chat.locator('.msg.user')).toHaveText(['Q1', 'Q2, said better']);
  // No edits while an answer is being generated.
  await expect(chat.getByRole('button', { name: 'Stop' })).toBeVisible();
  await expect(edits).toHaveCount(0);
  await setDelay(page, 1);
  await expect(chat.locator('#stats')).toContainText('tok/s');
  await expect(edits).toHaveCount(2);
  await expect(chat.locator('.answer strong')).toHaveText(['the answer', 'the answer']);
  type Sent = { lastMessages: { role: string; content: string }[] };
  const sent = await page.evaluate(() => (window as unknown as { fakeEngine: Sent }).fakeEngine.lastMessages);
  expect(sent.map((m) => (m.role === 'assistant' ? 'answer' : m.content))).toEqual(['Q1', 'answer', 'Q2, said better']);
});

test('a full context is explained, with "Leave out oldest turns" (kept on screen, not sent) and "New chat"', async ({ page }, testInfo) => {
  await open(page, '?delay=1&context=560');
  await recordEvents(page);
  const chat = page.locator('#a');
  const notice = chat.locator('.notice');
  await chat.locator('#input').fill('First question');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('#stats')).toContainText('tok/s');
  await expect(notice).toBeHidden();

  // The second answer runs into the end of the 560-token window.
  await chat.locator('#input').fill('Second question');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(notice).toBeVisible();
  await expect(notice).toContainText("filled the model's context window (560 tokens)");
  await expect(chat.locator('.turn-note').last()).toContainText('context window is full');
  await shot(page, testInfo, 'context-full');
  await expect(notice).toContainText('leave the oldest turns out of what the model is given');
  await notice.getByRole('button', { name: 'Leave out oldest turns' }).click();
  await expect(notice).toBeHidden();
  // Still shown, greyed and labelled; the next question is sent without it.
  await expect(chat.locator('.msg.user')).toHaveText(['First question', 'Second question']);
  await expect(chat.locator('.msg.user.left-out')).toHaveText(['First question']);
  await expect(chat.locator('.left-out-label')).toHaveText(["Left out of the model's context, to make room"]);
  const records = await chat.evaluate((el) => (el as unknown as { conversation: { leftOut?: boolean }[] }).conversation.map((t) => t.leftOut ?? false));
  expect(records).toEqual([true, false]);

  // A question longer than the whole window: the engine refuses it (ContextOverflowError).
  await chat.locator('#input').fill('x'.repeat(800));
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(notice).toContainText("longer than the model's context window (560 tokens)");
  await expect(chat.locator('.turn-note.error')).toContainText("no longer fits in the model's context window");
  expect((await events(page, 'error')).map((e) => (e.detail as { name: string }).name)).toEqual(['ContextOverflowError']);
  type Sent = { lastMessages: { role: string; content: string }[] };
  const sent = await page.evaluate(() => (window as unknown as { fakeEngine: Sent }).fakeEngine.lastMessages);
  expect(sent.map((m) => m.content.slice(0, 15))).toEqual(['Second question', expect.any(String), 'xxxxxxxxxxxxxxx']);
  await notice.getByRole('button', { name: 'Leave out oldest turns' }).click();
  await expect(notice).toContainText('Your last message alone leaves too little room for an answer');
  await expect(notice.getByRole('button', { name: 'Leave out oldest turns' })).toBeHidden();
  await notice.getByRole('button', { name: 'New chat' }).click();
  await expect(notice).toBeHidden();
  await expect(chat.locator('.msg')).toHaveCount(0);
});

test('two chats on a plain page share one engine and take turns generating', async ({ page }, testInfo) => {
  await open(page, '?delay=3');
  const a = page.locator('#a');
  const b = page.locator('#b');
  await a.locator('#input').fill('Question for A');
  await b.locator('#input').fill('Question for B');
  // B asks while A is generating: B waits for the engine instead of failing.
  await a.getByRole('button', { name: 'Send' }).click();
  await b.getByRole('button', { name: 'Send' }).click();
  await expect(a.getByRole('button', { name: 'Stop' })).toBeVisible();
  await expect(a.locator('#stats')).toContainText('tok/s');
  await expect(b.locator('#stats')).toContainText('tok/s');
  await expect(a.locator('.answer strong')).toHaveText('the answer');
  await expect(b.locator('.answer strong')).toHaveText('the answer');
  const fake = await page.evaluate(() => {
    const f = (window as unknown as { fakeEngine: { maxConcurrent: number; loads: unknown[]; lastMessages: unknown[] } }).fakeEngine;
    return { maxConcurrent: f.maxConcurrent, loads: f.loads.length };
  });
  expect(fake).toEqual({ maxConcurrent: 1, loads: 1 });
  // The page's styling reaches inside: a custom property and a ::part rule.
  await expect(b.locator('#send')).toHaveCSS('background-color', 'rgb(176, 48, 106)');
  await expect(b.locator('#send')).toHaveCSS('text-transform', 'uppercase');
  await shot(page, testInfo, 'two-chats');
});

test('a model that fails to load is explained in plain words; a question asked meanwhile goes back to the box', async ({ page }) => {
  await open(page, '?loadError=ModelSourceError');
  await recordEvents(page);
  const chat = page.locator('#a');
  await expect(chat.locator('.status')).toContainText('The model could not be found');
  await chat.locator('#input').fill('Anyone there?');
  await chat.getByRole('button', { name: 'Send' }).click();
  // Not kept as a failed turn: the reason, and the question back in the box to ask again.
  await expect(chat.locator('.notice')).toContainText('The model could not be found');
  await expect(chat.locator('.notice')).toContainText('Your message is back in the box.');
  await expect(chat.locator('#input')).toHaveValue('Anyone there?');
  await expect(chat.locator('.msg')).toHaveCount(0);
  expect((await events(page, 'error')).some((e) => (e.detail as { name: string }).name === 'ModelSourceError')).toBe(true);
});

test('themes: light by default even under a dark system theme, dark when asked, auto follows the system', async ({ page }, testInfo) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await open(page, '?delay=1');
  const bg = (sel: string) => page.locator(sel).evaluate((el) => getComputedStyle(el).backgroundColor);
  const userBg = (sel: string) => page.locator(`${sel} .msg.user`).first().evaluate((el) => getComputedStyle(el).backgroundColor);
  for (const id of ['#a', '#b']) {
    await page.locator(`${id} #input`).fill('Hello!');
    await page.locator(id).getByRole('button', { name: 'Send' }).click();
    await expect(page.locator(`${id} #stats`)).toContainText('tok/s');
  }
  expect(await bg('#a')).toBe('rgb(255, 255, 255)');
  await page.locator('#a').evaluate((el) => el.setAttribute('theme', 'dark'));
  expect(await bg('#a')).toBe('rgb(28, 28, 30)');
  expect(await userBg('#a')).toBe('rgb(38, 64, 107)');
  await page.locator('#b').evaluate((el) => el.setAttribute('theme', 'auto'));
  expect(await bg('#b')).toBe('rgb(28, 28, 30)');
  // The page's own custom properties still win (#b sets its accent).
  expect(await page.locator('#b').getByRole('button', { name: 'Send' }).evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(176, 48, 106)');
  await testInfo.attach('dark', { body: await page.screenshot(), contentType: 'image/png' });
  await page.emulateMedia({ colorScheme: 'light' });
  expect(await bg('#b')).toBe('rgb(255, 255, 255)');
  expect(await bg('#a')).toBe('rgb(28, 28, 30)');
});

test('an answer stopped at its token limit while thinking keeps its reasoning open; Continue writes the rest, once', async ({ page }) => {
  await open(page, '?delay=1');
  const chat = page.locator('#a');
  const notice = chat.locator('.notice');
  await chat.evaluate((el) => el.setAttribute('max-new-tokens', '20'));
  await chat.locator('#input').fill('Hello!');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(notice).toHaveText(/The answer reached the limit of 20 new tokens while the model was still thinking\. Continue writes more\./);
  const think = chat.locator('details.thinking');
  await expect(think.locator('summary')).toHaveText(/^Thought for \d+\.\d s \(stopped before answering\)$/);
  await expect(think).toHaveAttribute('open', '');
  await expect(chat.locator('.turn-note')).toHaveText('Stopped at the limit of 20 new tokens.');
  // The notice took room from the messages; a reader who was at the bottom still is (the note in view).
  await expect.poll(() => chat.locator('#messages').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(40);
  await expect(chat.getByRole('button', { name: '↓ Latest' })).toBeHidden();

  // Still thinking after the next 20; then the rest comes in one go.
  await notice.getByRole('button', { name: 'Continue' }).click();
  await expect(notice).toContainText('reached the limit of 20 new tokens while the model was still thinking');
  await chat.evaluate((el) => el.setAttribute('max-new-tokens', '2000'));
  await notice.getByRole('button', { name: 'Continue' }).click();
  await expect(chat.locator('#stats')).toContainText('tok/s');
  await expect(notice).toBeHidden();
  await expect(chat.locator('.turn-note')).toHaveCount(0);
  await expect(think.locator('summary')).toHaveText(/^Thought for \d+\.\d s$/);
  await expect(think).not.toHaveAttribute('open');
  await expect(chat.locator('.answer strong')).toHaveText('the answer');
  const fake = await page.evaluate(() => (window as unknown as { fakeEngine: { script: { reasoning: string; answer: string } } }).fakeEngine.script);
  const [turn] = await chat.evaluate((el) => (el as unknown as { conversation: { reasoning: string; answer: string; reply: string; status: string }[] }).conversation);
  // Nothing repeated or lost across the three parts.
  expect(turn.reasoning.trim()).toBe(fake.reasoning);
  expect(turn.answer.trim()).toBe(fake.answer.trim());
  expect(turn.reply).toBe(`${fake.reasoning}</think>\n\n${fake.answer}`);
  expect(turn.status).toBe('done');
});

test('the message box keeps the focus after Send, and Escape stops the answer', async ({ page }) => {
  await open(page, '?delay=40');
  const chat = page.locator('#a');
  const input = chat.locator('#input');
  await input.fill('Hello!');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.getByRole('button', { name: 'Stop' })).toBeVisible();
  await expect(input).toBeFocused();
  await expect(chat.locator('#messages')).toHaveAttribute('aria-busy', 'true');
  await input.press('Escape');
  await expect(chat.locator('.turn-note')).toHaveText('Stopped.');
  await expect(chat.locator('#messages')).toHaveAttribute('aria-busy', 'false');
  await expect(input).toBeFocused();
});

test('a question asked with no model loaded is not kept: a notice says so and the text goes back to the box', async ({ page }) => {
  await open(page);
  await page.evaluate(async () => {
    const { createFakeEngine } = (await import('/e2e/ui/fixtures/fake-engine.ts' as string)) as typeof import('./fixtures/fake-engine.ts');
    const el = document.createElement('r1-chat');
    el.id = 'empty';
    el.engine = createFakeEngine();
    const w = window as unknown as { announced: number[] };
    w.announced = [];
    el.addEventListener('conversation-change', (e) => w.announced.push((e as CustomEvent<unknown[]>).detail.length));
    document.body.append(el);
  });
  const chat = page.locator('#empty');
  await chat.locator('#input').fill('Is anyone there?');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('.notice')).toHaveText(/No model is loaded: open one, then ask again\. Your message is back in the box\./);
  await expect(chat.locator('#input')).toHaveValue('Is anyone there?');
  await expect(chat.locator('.msg')).toHaveCount(0);
  // No turn was announced for keeping.
  expect((await page.evaluate(() => (window as unknown as { announced: number[] }).announced)).every((n) => n === 0)).toBe(true);
});

test('an answer stopped with </think> half written continues with the tag taken as a tag, not text', async ({ page }) => {
  // The limit falls inside </think>: the parser held its start back, and showed it as text at the stop.
  const pieces = scriptPieces(DEFAULT_SCRIPT);
  const tagStart = DEFAULT_SCRIPT.reasoning.length;
  let written = 0;
  const limit = pieces.findIndex((p) => (written += p.length) > tagStart && written < tagStart + '</think>'.length) + 1;
  expect(limit).toBeGreaterThan(0);
  await open(page, '?delay=1');
  const chat = page.locator('#a');
  await chat.evaluate((el, n) => el.setAttribute('max-new-tokens', String(n)), limit);
  await chat.locator('#input').fill('Hello!');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('.notice')).toContainText(`reached the limit of ${limit} new tokens while the model was still thinking`);
  const reasoning = () => chat.evaluate((el) => (el as unknown as { conversation: { reasoning: string }[] }).conversation[0].reasoning);
  expect(await reasoning()).toMatch(/<\/?t?h?i?n?$/);
  await chat.evaluate((el) => el.setAttribute('max-new-tokens', '2000'));
  await chat.locator('.notice').getByRole('button', { name: 'Continue' }).click();
  await expect(chat.locator('#stats')).toContainText('tok/s');
  await expect(chat.locator('.reasoning')).not.toContainText('</');
  const [turn] = await chat.evaluate((el) => (el as unknown as { conversation: { reasoning: string; answer: string }[] }).conversation);
  expect(turn.reasoning).toBe(DEFAULT_SCRIPT.reasoning);
  expect(turn.answer.trim()).toBe(DEFAULT_SCRIPT.answer.trim());
});

test('scrolled up while an answer streams, the reader stays put; "Latest" takes them back down', async ({ page }) => {
  await open(page, '?delay=15');
  const chat = page.locator('#a');
  const messages = chat.locator('#messages');
  const toLatest = chat.getByRole('button', { name: '↓ Latest' });
  for (const q of ['First', 'Second']) {
    await chat.locator('#input').fill(q);
    await chat.getByRole('button', { name: 'Send' }).click();
    await setDelay(page, 0);
    await expect(chat.locator('#stats')).toContainText('tok/s');
  }
  await expect(toLatest).toBeHidden();
  await setDelay(page, 15);
  await chat.locator('#input').fill('Third');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('.reasoning').last()).toContainText('The user');
  await messages.evaluate((el) => el.scrollTo({ top: 0 }));
  await expect(toLatest).toBeVisible();
  await expect(chat.locator('.answer').nth(2)).toContainText('the answer');
  expect(await messages.evaluate((el) => el.scrollTop)).toBe(0);
  await toLatest.click();
  await expect(toLatest).toBeHidden();
  expect(await messages.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(80);
});

test('another model named on the elements while one loads: the load nobody wants any more stops, the new one loads', async ({ page }) => {
  await open(page, '?loadDelay=400');
  await recordEvents(page);
  const chats = [page.locator('#a'), page.locator('#b')];
  await expect(chats[0].locator('.status')).toContainText(/Uploading|Opening/);
  // One element alone changing its mind does not stop a load the other still wants.
  await chats[0].evaluate((el) => el.setAttribute('model', 'fake/other'));
  await page.waitForTimeout(600);
  type Fake = { fakeEngine: { calls: string[]; loads: unknown[] } };
  expect(await page.evaluate(() => (window as unknown as Fake).fakeEngine.calls)).not.toContain('load stopped');
  await chats[1].evaluate((el) => el.setAttribute('model', 'fake/other'));
  await expect.poll(() => page.evaluate(() => (window as unknown as Fake).fakeEngine.calls.filter((c) => c.startsWith('load')))).toEqual(['load', 'load stopped', 'load']);
  expect(await page.evaluate(() => (window as unknown as Fake).fakeEngine.loads)).toEqual(['fake/model', 'fake/other']);
  for (const chat of chats) await expect(chat.locator('.status')).toBeHidden({ timeout: 10_000 });
  expect(await events(page, 'error')).toEqual([]);
  await chats[0].locator('#input').fill('Hello?');
  await chats[0].getByRole('button', { name: 'Send' }).click();
  await expect(chats[0].locator('.answer strong')).toHaveText('the answer');
});
