/**
 * The page's default engine: one Web Worker, created on first use, shared by every <r1-chat> that
 * is not handed an engine of its own (a page should not hold a model per element on one GPU).
 */
import type { RuntimeEngine } from '../engine/api.ts';
import { createWorkerEngine } from '../engine/client.ts';

let shared: RuntimeEngine | null = null;

export function sharedEngine(): RuntimeEngine {
  shared ??= createWorkerEngine();
  return shared;
}
