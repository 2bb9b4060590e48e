/**
 * Broken model files through the whole load path (the Web Worker, the GPU upload), where the Vitest
 * corpus (test/formats/hostile-files.test.ts) stops at the readers: a quantized block whose scale is
 * NaN or infinite fails the load with a FormatError naming the file, the tensor and the block,
 * instead of loading a model whose every logit is NaN; and after such a failure the same page loads
 * a good model.
 */
import { copyFile, open } from 'node:fs/promises';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { callHarness } from './harness/call.ts';
import { readGguf } from '../src/formats/gguf.ts';
import { GGML_F16_SCALES } from '../src/formats/block-scales.ts';
import { sourceFromPath } from '../src/formats/source-node.ts';
import { ensureTestModel, TEST_MODEL_URL, type TestModelSpec } from '../scripts/lib/test-model-files.ts';

const loadError = (page: Page, url: string) => callHarness<{ name: string; message: string } | null>(page, 'engine', 'loadError', { url });

test.beforeEach(async ({ page }) => {
  await page.goto('/e2e/harness.html');
});

/** A copy of a test model with one f16 scale of `tensor`'s block `block` set to `bits`; returns its URL and the byte patched. */
async function withBadScale(spec: TestModelSpec, tensor: string, block: number, bits: number): Promise<{ url: string; at: number; typeName: string }> {
  const file = await ensureTestModel(spec);
  const g = await readGguf(await sourceFromPath(file));
  const t = g.tensors.find((x) => x.name === tensor)!;
  const typeName = String(t.dtype).toUpperCase();
  const blockBytes = { Q8_0: 34, Q4_0: 18, Q4_K: 144, Q5_K: 176, Q6_K: 210 }[typeName]!;
  const at = t.offset + block * blockBytes + GGML_F16_SCALES[typeName].at(-1)!;
  const broken = path.join(path.dirname(file), `broken-scale-${spec.arch}-${spec.dtype}.gguf`);
  await copyFile(file, broken);
  const fh = await open(broken, 'r+');
  const b = Buffer.alloc(2);
  b.writeUInt16LE(bits);
  await fh.write(b, 0, 2, at);
  await fh.close();
  return { url: TEST_MODEL_URL(broken), at: at - GGML_F16_SCALES[typeName].at(-1)!, typeName };
}

test('a NaN or infinite scale in a quantized block fails the load by tensor and block; a good model loads after it', async ({ page }) => {
  const cases: [TestModelSpec, string, number, number][] = [
    [{ arch: 'qwen2', format: 'gguf', dtype: 'q8_0' }, 'blk.1.ffn_down.weight', 7, 0x7e00],
    [{ arch: 'qwen2', format: 'gguf', dtype: 'q4_k_m' }, 'blk.0.attn_q.weight', 3, 0x7c00],
  ];
  for (const [spec, tensor, block, bits] of cases) {
    const { url, at, typeName } = await withBadScale(spec, tensor, block, bits);
    const err = await loadError(page, url);
    expect(err, `${spec.dtype}: ${tensor}`).not.toBeNull();
    expect(err!.name).toBe('FormatError');
    expect(err!.message).toContain(`: tensor "${tensor}" has a NaN or infinite scale in ${typeName} block ${block} (byte ${at}): the file is corrupt; download it again`);
  }
  const good = await ensureTestModel({ arch: 'qwen2', format: 'gguf', dtype: 'q8_0' });
  expect(await loadError(page, TEST_MODEL_URL(good))).toBeNull();
});
