import type { ModelConfig } from './config.ts';

/**
 * Keys (after RoPE) and values of every position so far, one buffer pair per layer: f16 by default
 * (half the memory and half the bytes attention reads, as llama.cpp's default), f32 on request.
 */
export type KvDtype = 'f16' | 'f32';

export interface KvCache {
  keys: GPUBuffer[]; //   per layer [maxSeq, nKvHeads * headDim]
  values: GPUBuffer[]; // per layer [maxSeq, nKvHeads * headDim]
  dtype: KvDtype;
  maxSeq: number;
  bytes: number;
}

export function kvCacheBytes(c: ModelConfig, maxSeq: number, dtype: KvDtype = 'f16'): number {
  return 2 * c.nLayers * maxSeq * c.nKvHeads * c.headDim * (dtype === 'f16' ? 2 : 4);
}

export function createKvCache(device: GPUDevice, c: ModelConfig, maxSeq: number, dtype: KvDtype = 'f16'): KvCache {
  const size = maxSeq * c.nKvHeads * c.headDim * (dtype === 'f16' ? 2 : 4);
  const make = (kind: string, i: number) =>
    device.createBuffer({ label: `${kind} cache ${i}`, size, usage: GPUBufferUsage.STORAGE });
  return {
    keys: Array.from({ length: c.nLayers }, (_, i) => make('key', i)),
    values: Array.from({ length: c.nLayers }, (_, i) => make('value', i)),
    dtype,
    maxSeq,
    bytes: kvCacheBytes(c, maxSeq, dtype),
  };
}

export function destroyKvCache(kv: KvCache): void {
  for (const b of [...kv.keys, ...kv.values]) b.destroy();
}
