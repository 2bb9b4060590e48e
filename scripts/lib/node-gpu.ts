import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { registerShaderSources } from '../../src/gpu/shader-source.ts';
import { REPO_ROOT } from './repo-root.ts';

/**
 * WebGPU in Node through Dawn (the npm package `webgpu`, the same Dawn that Chrome uses): the engine
 * runs unchanged, with shader files read from disk. Needs a Vulkan driver: on a machine without a
 * GPU, VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (Chromium's SwiftShader) works.
 * DAWN_FLAGS passes options to Dawn, space-separated (e.g. `backend=vulkan adapter=NAME`).
 * Dawn's unsafe APIs are allowed unless DAWN_FLAGS sets its own features: only then does Dawn offer
 * its experimental ones, the matrix units (tensor cores) of the prefill GEMM among them. Chrome
 * offers them with --enable-unsafe-webgpu.
 */
export async function nodeGpu(): Promise<GPU> {
  const dir = path.join(REPO_ROOT, 'shaders');
  const files: Record<string, string> = {};
  for (const f of await readdir(dir)) if (f.endsWith('.wgsl')) files[f] = await readFile(path.join(dir, f), 'utf8');
  registerShaderSources(files);
  const { create, globals } = (await import('webgpu')) as unknown as { create(flags: string[]): GPU; globals: Record<string, unknown> };
  Object.assign(globalThis, globals);
  const flags = process.env.DAWN_FLAGS?.split(' ').filter(Boolean) ?? [];
  if (!flags.some((f) => f.startsWith('enable-dawn-features='))) flags.push('enable-dawn-features=allow_unsafe_apis');
  return create(flags);
}
