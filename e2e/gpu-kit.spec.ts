/**
 * The GPU kit (scripts/gpu/, docs/gpu-machine.md) as the lent GPU machine runs it: the bundle in a
 * copy of the tree that has no node_modules but the kit's own, here on SwiftShader. The machine is
 * lent rarely and briefly, so the kit must still work when a session finally gets one.
 */
import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';

const run = promisify(execFile);
const env = { ...process.env, VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? '/usr/lib/chromium/vk_swiftshader_icd.json', XDG_RUNTIME_DIR: '/tmp' };

async function kit(dir: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [path.join(dir, '.gpu/kit/device.mjs'), ...args], { cwd: dir, env, timeout: 180_000, maxBuffer: 1 << 26 });
    return { ...r, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

test('the bundled kit checks and benches the engine in a tree with no node_modules, and refuses a tree it was not packed from', async () => {
  test.setTimeout(300_000);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'r1-gpu-kit-'));
  try {
    // What a device call sends: tracked and untracked-but-not-ignored files.
    await run('bash', ['-c', `git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "${dir}"`]);
    await run('npx', ['tsx', 'scripts/gpu/pack.ts', '--bundle-only', '--kit-dir', path.join(dir, '.gpu/kit')], { timeout: 120_000 });

    const verified = await kit(dir, ['verify']);
    expect(verified.code, verified.stderr).toBe(0);
    // The Q4_0 model as the bench runs it: the default GEMM, the tiled one 32- and 64-wide, the GPU's
    // kernel variants.
    const check = await kit(dir, ['check', '--only', 'qwen2-gguf-q4_0', '--schedule', 'gpu']);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toMatch(/^ok +qwen2-gguf-q4_0 /m);
    expect(check.stderr).toMatch(/^ok +qwen2-gguf-q4_0, tiled GEMM 64-wide /m);
    expect(check.stderr).toContain('check: 3 passed, 0 failed');

    // SwiftShader has no matrix units: the kernel check of the GEMM on them says so and passes.
    const gemm = await kit(dir, ['gemm']);
    expect(gemm.code, gemm.stderr).toBe(0);
    expect(gemm.stderr).toContain('offers no matrix units the GEMM can use');

    const record = path.join(dir, 'results.jsonl');
    const bench = await kit(dir, ['bench', '--label', 'tiny', '--record', record, '--shape', 'tiny', '--prompt-lengths', '16', '--decode-tokens', '3']);
    expect(bench.code, bench.stderr).toBe(0);
    const [rec] = (await readFile(record, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(rec.label).toBe('tiny');
    expect(rec.result.decode[0].tokensPerS).toBeGreaterThan(0);
    const summary = await kit(dir, ['summary', record]);
    expect(summary.stdout).toMatch(/^\| tiny \| [\d.]+ \|/m);
    const sampler = await kit(dir, ['sampler']);
    expect(sampler.code, sampler.stderr).toBe(0);
    expect(sampler.stdout).toMatch(/^\| peaked \| one chunk \(one workgroup\) \| [\d.]+ ms \| [\d.]+ ms \|$/m);
    const gemv = await kit(dir, ['gemv', '--shape', 'tiny', '--dtypes', 'q4_0', '--runs', '1']);
    expect(gemv.code, gemv.stderr).toBe(0);
    expect(gemv.stdout).toMatch(/^\| gate \+ up, SwiGLU, norm \| q4_0 \| blocks_glu_norm_\w+ \| [\d.]+ \| [\d.]+ \| [\d.e+-]+ \|$/m);

    // A bundle older than the code it is sent with must not produce figures.
    await appendFile(path.join(dir, 'src/index.ts'), '\n// edited after packing\n');
    const stale = await kit(dir, ['verify']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('run npm run gpu:pack again');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
