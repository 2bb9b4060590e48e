/**
 * Offline use with the real engine: the production build (service worker) loads a model, keeps it in
 * IndexedDB and chats; then, with the network off, the page reloads, opens the kept model by itself
 * with the last chat shown, and the chat goes on with the same reply.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type Locator } from '@playwright/test';
import { rangeHandler } from '../scripts/lib/range-server.ts';
import { REPO_ROOT } from '../scripts/lib/repo-root.ts';
import { ensureScriptedModel } from '../scripts/lib/test-model-files.ts';

let server: Server;
let base: string;
let root: string;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  root = mkdtempSync(path.join(tmpdir(), 'r1-offline-'));
  execFileSync('npx', ['vite', 'build', '--logLevel', 'error', '--emptyOutDir', '--outDir', path.join(root, 'app')], { cwd: REPO_ROOT, stdio: 'pipe' });
  cpSync(await ensureScriptedModel(), path.join(root, 'app/scripted'), { recursive: true });
  const serve = rangeHandler(path.join(root, 'app'), '/');
  server = createServer((req, res) => {
    if (req.url === '/' || req.url?.startsWith('/?')) req.url = '/index.html';
    void serve(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // localhost: a secure context, which service workers and WebGPU need.
  base = `http://localhost:${(server.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((r) => server?.close(r));
  rmSync(root, { recursive: true, force: true });
});

async function chat(app: Locator, turn: number): Promise<void> {
  await app.locator('#input').fill('Hello!');
  await app.getByRole('button', { name: 'Send' }).click();
  await expect(app.locator('.answer').nth(turn)).toContainText('Hello there! Euler wrote', { timeout: 90_000 });
  await expect(app.locator('#stats')).toContainText('context used', { timeout: 90_000 });
}

test('load once, go offline, reload: the kept model opens by itself, the chat goes on', async ({ context, page }, testInfo) => {
  test.setTimeout(300_000);
  await page.goto(`${base}/`);
  await page.evaluate(() => navigator.serviceWorker.ready);
  const app = page.locator('r1-app');
  await app.locator('#source').fill('/scripted/');
  await app.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(app.getByRole('status')).toContainText('ready on', { timeout: 120_000 });
  await app.locator('.settings summary').click();
  await app.locator('#temperature').fill('0');
  await chat(app, 0);

  // Offline, the page opens the kept model by itself, with the last chat and the settings as they were.
  await context.setOffline(true);
  await page.reload();
  await expect(app.getByRole('status')).toContainText('/scripted/ ready on', { timeout: 120_000 });
  await expect(app.locator('.answer')).toHaveCount(1);
  await expect(app.locator('.answer').first()).toContainText('Hello there! Euler wrote');
  await app.locator('.settings summary').click();
  await expect(app.locator('#temperature')).toHaveValue('0');
  await chat(app, 1);
  await testInfo.attach('offline chat', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
});
