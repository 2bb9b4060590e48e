/**
 * The engine's output on this machine's GPU against the float64 reference, for every format the
 * engine reads: the same check as e2e/engine.spec.ts, run in Node on Dawn so that a machine without
 * a browser (the lent GPU machine) can run it before its speed is measured. A GPU runs kernel
 * variants a CPU adapter never picks (threads sharing GEMV rows, subgroup sums, the tiled GEMM,
 * split attention), so speed figures mean nothing until this passes there.
 */
import { Engine, type EngineOptions } from '../../src/engine/engine.ts';
import { modelInputFromPath } from '../../src/formats/source-node.ts';
import type { QuantizeMode } from '../../src/formats/quant/on-load.ts';
import { CHECK_MODELS, CHECK_PREFILL_CHUNK, CHECK_PROMPT, CHECK_QUANTIZE_ON_LOAD, CHECK_UP_TO, compareRows, LOGIT_TOL, referenceRows, rowsAgree } from '../lib/reference-check.ts';
import { ensureTestModel, referenceModel, type TestModelSpec } from '../lib/test-model-files.ts';

interface CheckCase {
  label: string;
  spec: TestModelSpec;
  quantize?: QuantizeMode;
  options?: EngineOptions;
}

function cases(): CheckCase[] {
  const name = (s: TestModelSpec) => `${s.arch}-${s.format}-${s.dtype}`;
  return [
    ...CHECK_MODELS.map((spec) => ({ label: name(spec), spec })),
    ...CHECK_QUANTIZE_ON_LOAD.map(([spec, quantize]) => ({ label: `${name(spec)}-to-${quantize}`, spec, quantize })),
    // Split attention only runs by default past a few hundred tokens of context: force it here.
    { label: 'qwen3-safetensors-f16, attention in 3 key slices', spec: { arch: 'qwen3', format: 'safetensors', dtype: 'f16', vocab: 'small' }, options: { attentionSplits: 3 } },
    { label: 'llama-gguf-f32, f32 KV cache', spec: { arch: 'llama', format: 'gguf', dtype: 'f32', vocab: 'small' }, options: { kvCache: 'f32' } },
    // The GEMM variants the bench compares, on the types the bench runs: where the device has matrix
    // units the other cases prefill on them, so the tiled f32 GEMM is checked here.
    ...(['q4_0', 'q4_k_m'] as const).flatMap((dtype) =>
      ([32, 64] as const).map((gemmTile) => ({
        label: `qwen2-gguf-${dtype}, tiled GEMM ${gemmTile}-wide`,
        spec: { arch: 'qwen2', format: 'gguf', dtype, vocab: 'small' } as TestModelSpec,
        options: { tuning: { gemm: 'tiled', gemmTile } } as EngineOptions,
      })),
    ),
  ];
}

export interface CheckLine {
  label: string;
  relDiff: number;
  picksAgree: boolean;
  ok: boolean;
  ms: number;
  error?: string;
}

export interface CheckOptions {
  /** Only the cases whose label this regular expression matches (a plain name matches labels containing it). */
  only?: string;
  /** [k, n]: the k-th of n interleaved parts of the cases (1-based), so n processes share the work. */
  shard?: [number, number];
  /** 'gpu' forces the GPU kernel variants on a CPU adapter. */
  schedule?: EngineOptions['schedule'];
}

/** Runs the chosen cases on `gpu`, printing a line each, and returns them. */
export async function runCheck(gpu: GPU, log: (s: string) => void, o: CheckOptions = {}): Promise<CheckLine[]> {
  const out: CheckLine[] = [];
  const [k, n] = o.shard ?? [1, 1];
  const only = new RegExp(o.only ?? '');
  const chosen = cases().filter((x, i) => only.test(x.label) && i % n === k - 1);
  for (const c of chosen) {
    const t0 = performance.now();
    let line: CheckLine;
    try {
      const file = await ensureTestModel(c.spec);
      const ref = await referenceModel(file, c.quantize);
      ref.kvF16 = c.options?.kvCache !== 'f32';
      // W8A8 checkpoints weight-only, as in e2e/engine.spec.ts: their FP8 / INT8 activation rounding
      // parts f32 from float64 by whole steps wherever a value sits near a rounding midpoint.
      ref.activationRounding = null;
      const want = referenceRows(ref);
      const engine = await Engine.load(await modelInputFromPath(file), {
        gpu, contextLength: 256, prefillChunk: CHECK_PREFILL_CHUNK, quantize: c.quantize, schedule: o.schedule, activationRounding: 'off', ...c.options,
      });
      const got: Float32Array[] = [];
      try {
        for (const n of CHECK_UP_TO) got.push(await engine.logits(CHECK_PROMPT.slice(0, n)));
      } finally {
        engine.destroy();
      }
      const rows = compareRows(got, want);
      const relDiff = Math.max(...rows.map((r) => r.relDiff));
      line = { label: c.label, relDiff, picksAgree: rows.every((r) => r.pick === r.refPick), ok: rowsAgree(rows), ms: performance.now() - t0 };
    } catch (e) {
      line = { label: c.label, relDiff: NaN, picksAgree: false, ok: false, ms: performance.now() - t0, error: e instanceof Error ? e.message : String(e) };
    }
    log(`${line.ok ? 'ok  ' : 'FAIL'} ${line.label.padEnd(50)} max |dlogit|/max|logit| ${line.relDiff.toExponential(2)} (tolerance ${LOGIT_TOL})` +
      `${line.picksAgree ? '' : ', greedy picks differ'}${line.error ? `: ${line.error}` : ''} [${(line.ms / 1000).toFixed(1)} s]`);
    out.push(line);
  }
  return out;
}
