import { rowBytes } from '../formats/dtypes.ts';
import type { TensorEntry } from '../formats/tensor.ts';
import type { ModelConfig } from './config.ts';
import { kvCacheBytes, type KvDtype } from './kv-cache.ts';

/** What a model needs from the GPU before anything is allocated. */
export interface MemoryPlan {
  weightBytes: number;
  kvCacheBytes: number;
  activationBytes: number;
  totalBytes: number;
  /** The largest single buffer that cannot be split (a KV-cache layer, an activation). */
  largestBufferBytes: number;
  /** What that buffer is, for error messages. */
  largestBufferName: string;
  /** The longest weight row: weights split by rows, so one row must fit a binding. */
  largestRowBytes: number;
}

export function planMemory(c: ModelConfig, tensors: Iterable<TensorEntry>, contextLength: number, prefillChunk: number, kvDtype: KvDtype = 'f16'): MemoryPlan {
  let weightBytes = 0;
  let largestRowBytes = 0;
  for (const t of tensors) {
    weightBytes += t.byteLength;
    if (t.shape.length === 2 && typeof t.dtype === 'string') largestRowBytes = Math.max(largestRowBytes, rowBytes(t.dtype, t.shape[1]));
  }
  const kvLayer = contextLength * c.nKvHeads * c.headDim * (kvDtype === 'f16' ? 2 : 4);
  const buffers: [string, number][] = [
    [`one layer of the KV cache (${contextLength} tokens)`, kvLayer],
    ['the feed-forward activations', prefillChunk * c.ffnSize * 4],
    ['the logits', c.vocabSize * 4],
    ['the rotary table', contextLength * c.headDim * 4],
  ];
  const [largestBufferName, largestBufferBytes] = buffers.reduce((a, b) => (b[1] > a[1] ? b : a));
  const activationBytes = buffers.slice(1).reduce((s, [, n]) => s + n, 0) + prefillChunk * (3 * c.hiddenSize + 3 * c.nHeads * c.headDim) * 4;
  const kv = kvCacheBytes(c, contextLength, kvDtype);
  return {
    weightBytes,
    kvCacheBytes: kv,
    activationBytes,
    totalBytes: weightBytes + kv + activationBytes,
    largestBufferBytes,
    largestBufferName,
    largestRowBytes,
  };
}
