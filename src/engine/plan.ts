import type { QuantizeMode } from '../formats/quant/on-load.ts';
import { QUANTIZE_MODES, quantizeOnLoad } from '../formats/quant/on-load.ts';
import { dtypeLabel, isFloatDtype } from '../formats/dtypes.ts';
import type { TensorEntry } from '../formats/tensor.ts';
import type { KvDtype } from '../model/kv-cache.ts';
import { planMemory } from '../model/memory.ts';
import type { ModelBundle } from './model-files.ts';

/**
 * What loading a model will take, worked out from its headers before any weight is read: GPU bytes
 * of the weights as they will be stored, of the KV cache at the chosen context length and of the
 * working buffers, checked against what this GPU's adapter allows.
 */
export interface LoadPlan {
  name: string;
  format: 'gguf' | 'safetensors';
  arch: string;
  parameters: number;
  /** Storage types of the weights with their share of the weight bytes, largest first (e.g. Q4_K 0.78). */
  weightTypes: { type: string; share: number }[];
  quantize: QuantizeMode | null;
  contextLength: number;
  weightBytes: number;
  kvCacheBytes: number;
  activationBytes: number;
  totalBytes: number;
  /** The adapter's largest buffer binding, null when no adapter was asked (text-only, no WebGPU). */
  bindingLimit: number | null;
  /** Why it cannot load on this GPU, or null. */
  problem: string | null;
  /** For float checkpoints: the total with each quantize-on-load choice. */
  alternatives: { quantize: QuantizeMode; totalBytes: number }[];
}

export interface PlanOptions {
  contextLength?: number;
  prefillChunk?: number;
  quantize?: QuantizeMode;
  kvCache?: KvDtype;
}

/** The context and prefill chunk an engine loads with (engine.ts uses the same). */
export function loadShape(b: ModelBundle, o: PlanOptions): { contextLength: number; prefillChunk: number } {
  const contextLength = Math.min(o.contextLength ?? 4096, b.config.maxPositions);
  return { contextLength, prefillChunk: Math.min(o.prefillChunk ?? 128, contextLength) };
}

export function planLoad(b: ModelBundle, o: PlanOptions, bindingLimit: number | null): LoadPlan {
  const { contextLength, prefillChunk } = loadShape(b, o);
  const tensors = o.quantize ? quantizeOnLoad(b.tensors, o.quantize) : b.tensors;
  const m = planMemory(b.config, tensors.values(), contextLength, prefillChunk, o.kvCache);
  let problem: string | null = null;
  if (bindingLimit !== null) {
    const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    if (m.largestRowBytes > bindingLimit) problem = `one weight row takes ${mb(m.largestRowBytes)}, more than this GPU's ${mb(bindingLimit)} buffer limit`;
    else if (m.largestBufferBytes > bindingLimit) {
      problem = `${m.largestBufferName} takes ${mb(m.largestBufferBytes)}, more than this GPU's ${mb(bindingLimit)} buffer limit: choose a shorter context`;
    }
  }
  const isFloat = [...b.tensors.values()].some((t) => t.shape.length === 2 && typeof t.dtype === 'string' && isFloatDtype(t.dtype));
  const alternatives =
    isFloat && !o.quantize
      ? QUANTIZE_MODES.map((q) => ({ quantize: q, totalBytes: planMemory(b.config, quantizeOnLoad(b.tensors, q).values(), contextLength, prefillChunk, o.kvCache).totalBytes }))
      : [];
  return {
    name: b.name,
    format: b.format,
    arch: b.config.arch,
    parameters: [...b.tensors.values()].reduce((s, t) => s + t.shape.reduce((a, d) => a * d, 1), 0),
    weightTypes: shares(tensors.values()),
    quantize: o.quantize ?? null,
    contextLength,
    weightBytes: m.weightBytes,
    kvCacheBytes: m.kvCacheBytes,
    activationBytes: m.activationBytes,
    totalBytes: m.totalBytes,
    bindingLimit,
    problem,
    alternatives,
  };
}

function shares(tensors: Iterable<TensorEntry>): { type: string; share: number }[] {
  const by = new Map<string, number>();
  let total = 0;
  for (const t of tensors) {
    const type = typeof t.dtype === 'string' ? dtypeLabel(t.dtype) : t.dtype.unsupported;
    by.set(type, (by.get(type) ?? 0) + t.byteLength);
    total += t.byteLength;
  }
  return [...by].map(([type, n]) => ({ type, share: n / total })).sort((a, b) => b.share - a.share);
}
