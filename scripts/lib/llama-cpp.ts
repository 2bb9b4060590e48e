import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { REPO_ROOT } from './repo-root.ts';

/**
 * llama.cpp (node-llama-cpp's prebuilt CPU build) as an independent second opinion: it reads our GGUF
 * files with its own parser, tokenizes with its own BPE and runs its own forward pass.
 *
 * It is installed on first use into .cache/llama-cpp rather than listed in package.json: its optional
 * per-platform binaries include packages this machine's registry lacks, which a lockfile cannot
 * describe for `npm ci`, while a plain `npm install` skips them.
 */
export const LLAMA_CPP_VERSION = '3.22.1';
const PREFIX = path.join(REPO_ROOT, '.cache/llama-cpp');
const ENTRY = path.join(PREFIX, 'node_modules/node-llama-cpp/dist/index.js');

interface LlamaModel {
  tokenize(text: string, specialTokens: boolean): ArrayLike<number>;
  createContext(opts: Record<string, unknown>): Promise<LlamaContext>;
  dispose(): Promise<void>;
}
interface LlamaContext {
  getSequence(): { evaluate(tokens: number[], opts: { temperature: number }): AsyncIterable<number> };
  dispose(): Promise<void>;
}
interface Llama {
  gpu: string | false;
  getGpuDeviceNames(): Promise<string[]>;
  loadModel(opts: { modelPath: string }): Promise<LlamaModel>;
}
interface NodeLlamaCpp {
  getLlama(opts: Record<string, unknown>): Promise<Llama>;
  LlamaLogLevel: { error: unknown };
}

let lib: Promise<NodeLlamaCpp> | undefined;

export async function ensureLlamaCpp(): Promise<NodeLlamaCpp> {
  lib ??= (async () => {
    if (!(await stat(ENTRY).catch(() => null))) {
      await promisify(execFile)('npm', ['install', '--prefix', PREFIX, '--no-save', '--no-audit', '--no-fund', `node-llama-cpp@${LLAMA_CPP_VERSION}`], {
        timeout: 300_000,
        maxBuffer: 1 << 26,
      });
    }
    return (await import(pathToFileURL(ENTRY).href)) as NodeLlamaCpp;
  })();
  return lib;
}

/** Which llama.cpp build runs the model: the CPU one, or a GPU backend whose prebuilt binary is installed. */
export type LlamaCppBackend = 'cpu' | 'vulkan' | 'cuda';

export async function loadLlamaCpp(modelPath: string, backend: LlamaCppBackend = 'cpu'): Promise<LlamaModel> {
  return (await loadLlamaCppOn(modelPath, backend)).model;
}

/**
 * The model and the devices llama.cpp actually runs it on: a GPU build that finds no usable GPU
 * (llama.cpp's Vulkan backend skips CPU implementations such as SwiftShader) runs on the CPU, and a
 * comparison must say so.
 */
export async function loadLlamaCppOn(modelPath: string, backend: LlamaCppBackend): Promise<{ model: LlamaModel; devices: string[] }> {
  const m = await ensureLlamaCpp();
  const llama = await m.getLlama({ gpu: backend === 'cpu' ? false : backend, build: 'never', logLevel: m.LlamaLogLevel.error });
  const devices = llama.gpu === false ? [] : await llama.getGpuDeviceNames();
  // All layers on the GPU when there is one (node-llama-cpp would otherwise fit what it guesses).
  const model = await llama.loadModel({ modelPath, ...(backend === 'cpu' ? {} : { gpuLayers: 'max' }) } as { modelPath: string });
  return { model, devices };
}

/**
 * llama.cpp's speed on `promptIds` then `n` generated tokens (greedy, its default f16 KV cache):
 * prefill is the time to the first token, decode the rate of the tokens after it.
 */
export async function llamaCppTiming(model: LlamaModel, promptIds: number[], n: number): Promise<{ prefillMs: number; decodeMs: number; decoded: number }> {
  const ctx = await model.createContext({ contextSize: promptIds.length + n + 8 });
  try {
    const t0 = performance.now();
    let first = 0;
    let count = 0;
    for await (const _ of ctx.getSequence().evaluate(promptIds, { temperature: 0 })) {
      if (count++ === 0) first = performance.now();
      if (count >= n) break;
    }
    return { prefillMs: first - t0, decodeMs: performance.now() - first, decoded: count - 1 };
  } finally {
    await ctx.dispose();
  }
}

/** Token ids of `text`, special tokens recognised, BOS as the model's metadata says. */
export function llamaCppTokenize(model: LlamaModel, text: string): number[] {
  return Array.from(model.tokenize(text, true));
}

/** Greedy continuation of `promptIds` for `n` tokens. */
export async function llamaCppGreedy(model: LlamaModel, promptIds: number[], n: number): Promise<number[]> {
  // An f32 KV cache: llama.cpp's default f16 cache rounds keys and values, enough to flip close greedy picks.
  const ctx = await model.createContext({ contextSize: 256, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' });
  try {
    const out: number[] = [];
    for await (const t of ctx.getSequence().evaluate(promptIds, { temperature: 0 })) {
      out.push(t);
      if (out.length >= n) break;
    }
    return out;
  } finally {
    await ctx.dispose();
  }
}
