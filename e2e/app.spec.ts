/** The app page end to end: the demo model loads, a chat turn streams, stop works; screenshots attached. */
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { REPO_ROOT } from '../scripts/lib/repo-root.ts';
import { ensureTestModel } from '../scripts/lib/test-model-files.ts';

test.beforeAll(async () => {
  await ensureTestModel({ arch: 'qwen2', format: 'safetensors', dtype: 'f16' }, path.join(REPO_ROOT, '.cache/demo-model'));
});

test('load the demo model and chat', async ({ page }, testInfo) => {
  await page.goto('/');
  const app = page.locator('r1-app');
  await app.getByRole('button', { name: 'Load the demo model' }).click();
  await expect(app.getByRole('status')).toContainText('ready on', { timeout: 60_000 });
  await app.locator('.settings summary').click();
  await expect(app.locator('#temperature')).toHaveValue('0.6');
  await expect(app.locator('#top-p')).toHaveValue('0.95');
  await app.locator('#max-tokens').fill('12');
  await app.locator('#input').fill('Hello!');
  await app.getByRole('button', { name: 'Send' }).click();
  await expect(app.locator('.msg.user')).toHaveText('Hello!');
  // Random weights: the reply is gibberish, but it streams and the turn ends with statistics.
  await expect(app.locator('#stats')).toContainText('tok/s', { timeout: 120_000 });
  await expect(app.locator('#stats')).toContainText('prefilled');
  await testInfo.attach('chat', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
  // A second turn reuses the cached prompt prefix: fewer tokens prefilled than the prompt holds.
  await app.locator('#input').fill('And again?');
  await app.getByRole('button', { name: 'Send' }).click();
  await expect(app.locator('.msg.user')).toHaveCount(2);
  await expect(app.locator('#stats')).toContainText(/prefilled (\d+) of (\d+)/, { timeout: 120_000 });
  const m = (await app.locator('#stats').textContent())!.match(/prefilled (\d+) of (\d+)/)!;
  expect(Number(m[1])).toBeLessThan(Number(m[2]));
});

test('context and quantization chosen before loading: the plan says what it needs, the model loads so', async ({ page }) => {
  await page.goto('/');
  const app = page.locator('r1-app');
  await app.locator('#context').selectOption('2048');
  await app.locator('#quantize').selectOption('q4');
  await app.getByRole('button', { name: 'Load the demo model' }).click();
  const status = app.getByRole('status');
  await expect(status).toContainText('ready on', { timeout: 60_000 });
  // The tiny demo model is nearly all embedding and LM head, which go to Q8_0 (its matrices to Q4_0).
  await expect(status).toContainText(/qwen2 model \(Q8_0 \d+%.*quantized to Q4 while loading\) with a 2048-token context takes [\d.]+ MiB on the GPU/);
  // Same model, other options: loaded again, as stored.
  await app.locator('#quantize').selectOption('');
  await app.getByRole('button', { name: 'Load the demo model' }).click();
  await expect(status).toContainText(/\(F16 \d+%.*\) with a 2048-token context takes/, { timeout: 60_000 });
});

test('a load error is shown in plain words', async ({ page }) => {
  await page.goto('/');
  const app = page.locator('r1-app');
  await app.locator('#source').fill('/test-models/does-not-exist/');
  await app.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(app.getByRole('status')).toContainText(/could not be read|no config\.json/);
});

test('a split .gguf picked as its parts loads; one part alone is refused, naming the others', async ({ page }) => {
  const first = await ensureTestModel({ arch: 'llama', format: 'gguf', dtype: 'q8_0', vocab: 'small', shards: 3 });
  const parts = [1, 2, 3].map((i) => first.replace('-00001-of-', `-0000${i}-of-`));
  await page.goto('/');
  const app = page.locator('r1-app');
  await app.locator('#files').setInputFiles(parts[0]);
  await expect(app.getByRole('status')).toContainText(/is part 1 of 3 of a split GGUF model: load all its parts together/, { timeout: 30_000 });
  await app.locator('#files').setInputFiles(parts);
  await expect(app.getByRole('status')).toContainText('ready on', { timeout: 60_000 });
});

test('a real model with a known reply: reasoning streams, collapses with its time, the answer renders', async ({ page }, testInfo) => {
  const { ensureScriptedModel } = await import('../scripts/lib/test-model-files.ts');
  await ensureScriptedModel();
  await page.goto('/');
  const app = page.locator('r1-app');
  await app.locator('#source').fill('/test-models/scripted-qwen2/');
  await app.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(app.getByRole('status')).toContainText('ready on', { timeout: 60_000 });
  await app.locator('.settings summary').click();
  await app.locator('#temperature').fill('0');
  await app.locator('#input').fill('Hello!');
  await app.getByRole('button', { name: 'Send' }).click();
  const think = app.locator('details.thinking');
  await expect(think.locator('.reasoning')).toContainText('The user says hello, so I greet them back.', { timeout: 60_000 });
  await expect(think.locator('summary')).toHaveText(/^Thought for \d+\.\d s$/, { timeout: 60_000 });
  await expect(think).not.toHaveAttribute('open');
  const answer = app.locator('.answer');
  await expect(answer.locator('strong')).toHaveText('there', { timeout: 60_000 });
  await expect(app.locator('#stats')).toContainText('tok/s', { timeout: 60_000 });
  await expect(answer.locator('.katex')).toHaveCount(1);
  await expect(answer).toContainText('Hello there! Euler wrote');
  await testInfo.attach('scripted reply', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
});
