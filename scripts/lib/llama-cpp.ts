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
interface NodeLlamaCpp {
  getLlama(opts: Record<string, unknown>): Promise<{ loadModel(opts: { modelPath: string }): Promise<LlamaModel> }>;
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

export async function loadLlamaCpp(modelPath: string): Promise<LlamaModel> {
  const m = await ensureLlamaCpp();
  const llama = await m.getLlama({ gpu: false, build: 'never', logLevel: m.LlamaLogLevel.error });
  return llama.loadModel({ modelPath });
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
