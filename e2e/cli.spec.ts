/**
 * `npm run generate` as a user runs it: a child process that starts Vite and headless Chromium and
 * drives the same worker engine as the app. Local files reach the page over HTTP range requests.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { ensureTestModel } from '../scripts/lib/test-model-files.ts';

const run = promisify(execFile);

async function generate(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run('npx', ['tsx', 'scripts/generate.ts', ...args], { timeout: 120_000, maxBuffer: 1 << 26 });
    return { ...r, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

test('chat prompt through the template, greedy, as JSON', async () => {
  const model = await ensureTestModel({ arch: 'qwen2', format: 'gguf', dtype: 'q8_0' });
  const r = await generate(['--model', model, '--prompt', 'Hello, world', '--temperature', '0', '--max-new-tokens', '6', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.prompt).toBe('<｜begin▁of▁sentence｜><｜User｜>Hello, world<｜Assistant｜><think>\n');
  expect(out.prompt_ids).toEqual([151646, 151644, 9707, 11, 1879, 151645, 151648, 198]);
  expect(out.ids).toHaveLength(6);
  expect(typeof out.text).toBe('string');
  expect(out.finish_reason).toBe('length');
  expect(out.timings.decode_tokens_per_s).toBeGreaterThan(0);
  // The same model as a Hugging Face folder, from --messages, gives the same prompt ids.
  const folder = await ensureTestModel({ arch: 'qwen2', format: 'safetensors', dtype: 'bf16' });
  const messages = path.join(os.tmpdir(), `r1-messages-${process.pid}.json`);
  await writeFile(messages, JSON.stringify([{ role: 'user', content: 'Hello, world' }]));
  const dry = await generate(['--model', folder, '--messages', messages, '--dry-run', '--json']);
  expect(dry.code, dry.stderr).toBe(0);
  expect(JSON.parse(dry.stdout).prompt_ids).toEqual(out.prompt_ids);
});

test('--raw tokenizes the text as it is, adding BOS as the tokenizer config says', async () => {
  const model = await ensureTestModel({ arch: 'qwen2', format: 'safetensors', dtype: 'bf16' });
  const r = await generate(['--model', model, '--raw', '--prompt', '<｜User｜>hi<think>', '--dry-run', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.prompt).toBe('<｜User｜>hi<think>');
  expect(out.prompt_ids).toEqual([151646, 151644, 6023, 151648]);
});

test('bad flags and missing files fail with a clear message', async () => {
  const a = await generate(['--prompt', 'x']);
  expect(a.code).toBe(2);
  expect(a.stderr).toMatch(/--model is required/);
  const b = await generate(['--model', 'nope.gguf', '--prompt', 'x', '--temprature', '1']);
  expect(b.code).toBe(2);
  expect(b.stderr).toMatch(/unknown option --temprature/);
  const c = await generate(['--model', '/no/such/model.gguf', '--prompt', 'x']);
  expect(c.code).toBe(2);
  expect(c.stderr).toMatch(/no such file or folder/);
  const d = await generate(['--model', 'nope.gguf', '--prompt', 'x', '--quantize', 'int3']);
  expect(d.code).toBe(2);
  expect(d.stderr).toMatch(/--quantize is q4 or fp8, not int3/);
});

test('--quantize q4 and fp8 load a BF16 folder in about half the GPU bytes or less', async () => {
  process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
  const model = await ensureTestModel({ arch: 'qwen2', format: 'safetensors', dtype: 'bf16', dims: 'quant' });
  const args = ['--model', model, '--prompt', 'Hello', '--temperature', '0', '--max-new-tokens', '3', '--json', '--backend', 'node'];
  const plain = JSON.parse((await generate(args)).stdout);
  for (const q of ['q4', 'fp8']) {
    const r = await generate([...args, '--quantize', q]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.ids).toHaveLength(3);
    // BF16 is 2 bytes a weight; Q8_0 tables 1.06, Q4_0 0.56, FP8 1.03.
    expect(out.gpu_bytes.weights / plain.gpu_bytes.weights, q).toBeLessThan(0.55);
  }
});

test('--backend node runs the same engine on Dawn and gives the same tokens', async () => {
  // Needs the Vulkan loader (Debian libvulkan1, installed by .ci/run) and SwiftShader's ICD from Chromium.
  const model = await ensureTestModel({ arch: 'qwen2', format: 'gguf', dtype: 'q8_0' });
  const args = ['--model', model, '--prompt', 'Hello, world', '--temperature', '0', '--max-new-tokens', '6', '--json'];
  const c = await generate(args);
  expect(c.code, c.stderr).toBe(0);
  const inChromium = JSON.parse(c.stdout);
  process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
  const r = await generate([...args, '--backend', 'node']);
  expect(r.code, r.stderr).toBe(0);
  const inNode = JSON.parse(r.stdout);
  expect(inNode.prompt_ids).toEqual(inChromium.prompt_ids);
  expect(inNode.ids).toEqual(inChromium.ids);
});
