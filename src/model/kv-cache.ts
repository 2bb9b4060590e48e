import type { ModelConfig } from './config.ts';

/** Keys (after RoPE) and values of every position so far, one buffer pair per layer, f32. */
export interface KvCache {
  keys: GPUBuffer[]; //   per layer [maxSeq, nKvHeads * headDim]
  values: GPUBuffer[]; // per layer [maxSeq, nKvHeads * headDim]
  maxSeq: number;
  bytes: number;
}

export function kvCacheBytes(c: ModelConfig, maxSeq: number): number {
  return 2 * c.nLayers * maxSeq * c.nKvHeads * c.headDim * 4;
}

export function createKvCache(device: GPUDevice, c: ModelConfig, maxSeq: number): KvCache {
  const size = maxSeq * c.nKvHeads * c.headDim * 4;
  const make = (kind: string, i: number) =>
    device.createBuffer({ label: `${kind} cache ${i}`, size, usage: GPUBufferUsage.STORAGE });
  return {
    keys: Array.from({ length: c.nLayers }, (_, i) => make('key', i)),
    values: Array.from({ length: c.nLayers }, (_, i) => make('value', i)),
    maxSeq,
    bytes: kvCacheBytes(c, maxSeq),
  };
}

export function destroyKvCache(kv: KvCache): void {
  for (const b of [...kv.keys, ...kv.values]) b.destroy();
}
