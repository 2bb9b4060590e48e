import type { LoadPlan } from '../engine/plan.ts';
import { formatBytes } from './format.ts';

/**
 * A load plan in a sentence: "A 7.6B-parameter qwen2 model (Q4_K 78%, Q6_K 22%) with a 8192-token
 * context needs 5.10 GiB on the GPU: ...". Float checkpoints also say what quantizing would need.
 */
export function describePlan(p: LoadPlan): string {
  let s =
    `${describeModel(p)} needs ${formatBytes(p.totalBytes)} on the GPU: ` +
    `${formatBytes(p.weightBytes)} of weights, ${formatBytes(p.kvCacheBytes)} of KV cache and ${formatBytes(p.activationBytes)} of working buffers.`;
  if (p.alternatives.length) {
    s += ` Quantizing while loading would need ${p.alternatives.map((a) => `${formatBytes(a.totalBytes)} (${a.quantize.toUpperCase()})`).join(' or ')}.`;
  }
  if (p.problem) s += ` It cannot load on this GPU: ${p.problem}.`;
  return s;
}

/** "A 7.6B-parameter qwen2 model (Q4_K 78%, Q6_K 22%) with a 8192-token context". */
export function describeModel(p: LoadPlan): string {
  const params = p.parameters >= 1e9 ? `${(p.parameters / 1e9).toFixed(1)}B` : `${Math.max(1, Math.round(p.parameters / 1e6))}M`;
  const types = p.weightTypes
    .filter((t) => t.share >= 0.01)
    .map((t) => `${t.type} ${Math.round(t.share * 100)}%`)
    .join(', ');
  const how = p.quantize ? `, quantized to ${p.quantize.toUpperCase()} while loading` : '';
  return `A ${params}-parameter ${p.arch} model (${types}${how}) with a ${p.contextLength}-token context`;
}
