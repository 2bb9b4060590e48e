/**
 * What only a production build shows: the app shell opens offline on a second visit (service
 * worker), and the <r1-chat> library build works in a page with nothing but one script tag.
 * Both builds go to a temporary folder served by a plain static server.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { REPO_ROOT } from '../../scripts/lib/repo-root.ts';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.woff2': 'font/woff2', '.json': 'application/json' };

/** A scripted engine in plain JS (the built page has no TypeScript): reasoning, </think>, an answer with math. */
const FAKE_ENGINE = `
  const engine = {
    async load() { return { name: 'fake', contextLength: 1024, generation: { eosIds: [0] }, hasChatTemplate: true, bosId: null }; },
    async renderChat() { return '<｜User｜>q<｜Assistant｜><think>\\n'; },
    async encode(t) { return [...t].map((c) => c.codePointAt(0)); },
    async decode() { return ''; },
    async *generate(ids) {
      for (const text of ['Let me ', 'think.', '</thi', 'nk>\\n\\n', 'So $x^2 + y^2 = z^2$ ', 'is **Pythagoras**.']) {
        await new Promise((r) => setTimeout(r, 30));
        yield { type: 'token', id: 1, pos: 0, text };
      }
      yield { type: 'done', stats: { promptTokens: ids.length, prefilledTokens: ids.length, generatedTokens: 6, prefillMs: 1, decodeMs: 150, finishReason: 'stop' } };
    },
    async reset() {},
    async unload() {},
  };`;

let server: Server;
let base: string;
let root: string;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  root = mkdtempSync(path.join(tmpdir(), 'r1-ui-build-'));
  const vite = (args: string[]) => execFileSync('npx', ['vite', 'build', '--logLevel', 'error', '--emptyOutDir', ...args], { cwd: REPO_ROOT, stdio: 'pipe' });
  vite(['--outDir', path.join(root, 'app')]);
  vite(['-c', 'src/ui/vite.lib.config.ts', '--outDir', path.join(root, 'app/lib')]);
  writeFileSync(
    path.join(root, 'app/embed.html'),
    `<!doctype html><meta charset="utf-8"><title>embed</title><body><r1-chat id="c"></r1-chat>
     <script>${FAKE_ENGINE}; document.getElementById('c').engine = engine;</script>
     <script type="module" src="./lib/r1-chat.js"></script></body>`,
  );
  server = createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = path.join(root, 'app', rel.endsWith('/') ? `${rel}index.html` : rel);
    if (!file.startsWith(path.join(root, 'app'))) file = '';
    try {
      if (!file || !statSync(file).isFile()) throw new Error('not a file');
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // localhost, not 127.0.0.1: a secure context, which service workers need.
  base = `http://localhost:${(server.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((r) => server?.close(r));
  rmSync(root, { recursive: true, force: true });
});

test('the app shell opens offline on a second visit', async ({ context, page }, testInfo) => {
  await page.goto(`${base}/`);
  const cached = await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    const cache = await caches.open('r1-shell-v1');
    return (await cache.keys()).map((r) => new URL(r.url).pathname);
  });
  expect(cached).toContain('/');
  expect(cached.some((p) => /^\/assets\/index-.*\.js$/.test(p))).toBe(true);
  expect(cached.some((p) => /^\/assets\/worker-.*\.js$/.test(p))).toBe(true);
  expect(cached.some((p) => p.endsWith('.woff2'))).toBe(true);

  await context.setOffline(true);
  await page.reload();
  await expect(page.locator('r1-app').getByRole('button', { name: 'Load the demo model' })).toBeVisible();
  expect(await page.evaluate(() => customElements.get('r1-chat') !== undefined)).toBe(true);
  await testInfo.attach('offline', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
});

test('the library build: one script tag, an engine set before the element is defined, math with its fonts', async ({ page }, testInfo) => {
  await page.goto(`${base}/embed.html`);
  const chat = page.locator('#c');
  await chat.locator('#input').fill('Why?');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('details.thinking summary')).toHaveText(/^Thought for \d+\.\d s$/);
  await expect(chat.locator('.answer strong')).toHaveText('Pythagoras');
  await expect(chat.locator('.answer .katex')).toHaveCount(1);
  const fonts = await page.evaluate(async () => (await document.fonts.load('16px KaTeX_Main')).length);
  expect(fonts).toBeGreaterThan(0);
  await testInfo.attach('library-build', { body: await page.screenshot(), contentType: 'image/png' });
});
