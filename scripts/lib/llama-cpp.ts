import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from 'node-llama-cpp';

/**
 * llama.cpp (node-llama-cpp's prebuilt CPU build) as an independent second opinion: it reads our GGUF
 * files with its own parser, tokenizes with its own BPE and runs its own forward pass.
 */
let llama: Promise<Llama> | undefined;

export async function loadLlamaCpp(modelPath: string): Promise<LlamaModel> {
  llama ??= getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  return (await llama).loadModel({ modelPath });
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
    for await (const t of ctx.getSequence().evaluate(promptIds as never, { temperature: 0 })) {
      out.push(t as number);
      if (out.length >= n) break;
    }
    return out;
  } finally {
    await ctx.dispose();
  }
}
