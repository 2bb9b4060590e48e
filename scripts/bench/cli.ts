/**
 * npm run bench -- [--model <gguf | folder | URL>] [--shape qwen2-1.5b|qwen2-7b|llama-8b|qwen3-8b|tiny]
 *   [--dtype q4_0|q4_k_m|q8_0|f16|fp8] [--prompt-lengths 128,512,2048] [--decode-tokens 32] [--prefill-chunk 128] [--json]
 *   [--layers N] [--backend chromium|node] [--llama-cpp cpu|vulkan|cuda] [--serial-decode] [--attention-splits N]
 *   [--gemm-tile 32|64] [--gemm auto|tiled] [--matrix-grid 1|2] [--schedule auto|gpu|cpu] [--activation-rounding checkpoint|off]
 *
 * Loads a model (a file, or random weights of a real checkpoint's exact shapes, written once to
 * .cache/bench-models) in headless Chromium with the same engine code as the app, and prints one
 * table: prefill speed per prompt length, time to first token, decode speed at short and long
 * context, load time, GPU bytes, the adapter, and GPU time per kernel when timestamps are available;
 * the device's copy bandwidth and decode as a fraction of that roofline; with --llama-cpp, the same
 * GGUF through llama.cpp and the engine's speed as a ratio to it. --serial-decode runs one decode
 * step at a time (no step queued ahead of the readback), to measure what queuing ahead brings;
 * --attention-splits fixes the key slices of decode attention (1: one workgroup per head);
 * --gemm-tile sets the output tile side of the tiled prefill GEMM (32 or 64); --gemm tiled runs that
 * GEMM where the device has matrix units the prefill would otherwise run on (auto, the default);
 * --matrix-grid 1 runs that GEMM on matrix units with one subgroup per workgroup, rather than the
 * 2 x 2 grid of subgroups sharing a tile that the engine takes where the device can (2);
 * --schedule gpu runs the kernel variants a GPU gets on any adapter (cpu: those of a CPU adapter), so
 * that a CPU adapter can time the GPU's GEMVs, as a count of their work rather than a GPU's speed;
 * --activation-rounding off runs a W8A8 model weight-only, to measure what rounding its activations costs.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { runBench, type BenchRequest, type BenchResult } from './run.ts';
import { BENCH_SHAPES, ensureBenchModel, type BenchDtype } from '../lib/bench-model.ts';
import type { LlamaCppBackend } from '../lib/llama-cpp.ts';
import { forEachFlag } from '../lib/flags.ts';
import type { PeerResult } from './llama-cpp.ts';

function parse(argv: string[]) {
  const o = {
    model: '', shape: 'qwen2-1.5b', dtype: 'q4_0' as BenchDtype, promptLengths: [128, 512, 2048], decodeTokens: 32, prefillChunk: 128, json: false,
    backend: 'chromium', layers: 0, llamaCpp: null as LlamaCppBackend | null, serialDecode: false, attentionSplits: 0, gemmTile: 0,
    gemm: 'auto', matrixGrid: 2, schedule: 'auto', activationRounding: 'checkpoint',
  };
  forEachFlag(argv, (a, v) => {
    if (a === '--model') o.model = v();
    else if (a === '--shape') o.shape = v();
    else if (a === '--dtype') o.dtype = v() as BenchDtype;
    else if (a === '--prompt-lengths') o.promptLengths = v().split(',').map(Number);
    else if (a === '--decode-tokens') o.decodeTokens = Number(v());
    else if (a === '--prefill-chunk') o.prefillChunk = Number(v());
    else if (a === '--json') o.json = true;
    else if (a === '--backend') o.backend = v();
    else if (a === '--layers') o.layers = Number(v());
    else if (a === '--serial-decode') o.serialDecode = true;
    else if (a === '--attention-splits') o.attentionSplits = Number(v());
    else if (a === '--gemm-tile') o.gemmTile = Number(v());
    else if (a === '--gemm') o.gemm = v();
    else if (a === '--matrix-grid') o.matrixGrid = Number(v());
    else if (a === '--schedule') o.schedule = v();
    else if (a === '--activation-rounding') o.activationRounding = v();
    else if (a === '--llama-cpp') {
      const b = v();
      if (b !== 'cpu' && b !== 'vulkan' && b !== 'cuda') throw new Error('--llama-cpp is cpu, vulkan or cuda');
      o.llamaCpp = b;
    }
    else throw new Error(`unknown option ${a}`);
  });
  if (!o.model && !(o.shape in BENCH_SHAPES)) throw new Error(`--shape must be one of ${Object.keys(BENCH_SHAPES).join(', ')}`);
  if (o.backend !== 'chromium' && o.backend !== 'node') throw new Error('--backend is chromium or node');
  if (o.gemmTile !== 0 && o.gemmTile !== 32 && o.gemmTile !== 64) throw new Error('--gemm-tile is 32 or 64');
  if (o.gemm !== 'auto' && o.gemm !== 'tiled') throw new Error('--gemm is auto or tiled');
  if (o.matrixGrid !== 1 && o.matrixGrid !== 2) throw new Error('--matrix-grid is 1 or 2 (subgroups per side of a tile)');
  if (o.schedule !== 'auto' && o.schedule !== 'gpu' && o.schedule !== 'cpu') throw new Error('--schedule is auto, gpu or cpu');
  if (o.activationRounding !== 'checkpoint' && o.activationRounding !== 'off') throw new Error('--activation-rounding is checkpoint or off');
  if (!Number.isInteger(o.attentionSplits) || o.attentionSplits < 0) throw new Error('--attention-splits takes a whole number of key slices (1: no split)');
  if (o.promptLengths.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--prompt-lengths takes positive integers, e.g. 128,512,2048');
  return o;
}

function table(r: BenchResult, peer: PeerResult | null): string {
  const mib = (n: number) => (n < 2 ** 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 2 ** 20).toFixed(1)} MiB`);
  const vs = (ours: number, theirs: number | undefined) => (theirs ? `; ${peer!.name} ${theirs.toFixed(2)} tok/s, ratio ${(ours / theirs).toFixed(2)}` : '');
  const roofline = (tokS: number) => ((tokS * r.bytesPerToken) / r.bandwidthBytesPerS) * 100;
  const rows: [string, string][] = [
    ['model', r.model],
    ['adapter', r.adapter],
    ['prefill GEMM', r.prefillGemm],
    ...(peer ? [[peer.name, peer.error ? `failed: ${peer.error}` : `on ${peer.devices.join(', ') || 'the CPU (no GPU device found)'}`] as [string, string]] : []),
    ['load', `${(r.loadMs / 1000).toFixed(2)} s`],
    ['GPU bytes', `${mib(r.weightBytes)} weights + ${mib(r.kvCacheBytes)} KV cache`],
    ['copy bandwidth', `${(r.bandwidthBytesPerS / 1e9).toFixed(2)} GB/s; a decode step reads ${mib(r.bytesPerToken)}`],
    ...r.prefill.map((p, i): [string, string] => [
      `prefill ${p.tokens}`,
      `${p.tokensPerS.toFixed(1)} tok/s (first token after ${p.ttftMs.toFixed(0)} ms)${vs(p.tokensPerS, peer?.prefill[i]?.tokensPerS)}`,
    ]),
    ...r.decode.map((d, i): [string, string] => [
      `decode @${d.context}`,
      `${d.tokensPerS.toFixed(2)} tok/s (${d.tokens} tokens, ${roofline(d.tokensPerS).toFixed(1)}% of the roofline)${vs(d.tokensPerS, peer?.decode[i]?.tokensPerS)}`,
    ]),
    [
      `decode @${r.decodeSampled.context} sampled`,
      `${r.decodeSampled.tokensPerS.toFixed(2)} tok/s (temperature 0.6, top-p 0.95${r.samplerMs === null ? '' : `; the sampler takes ${r.samplerMs.toFixed(3)} ms of GPU time per step`})`,
    ],
    ['dispatches per decode step', String(r.dispatchesPerStep)],
    ...(r.kernels ?? []).slice(0, 12).map((k): [string, string] => [`  ${k.name}`, `${k.ms.toFixed(3)} ms x${k.dispatches}`]),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

/** Runs the bench as its command line `argv` says, prints the table (or, with --json, one object) and returns the figures. */
export async function benchCli(argv: string[]): Promise<{ result: BenchResult; peer: PeerResult | null }> {
  const o = parse(argv);
  let file = o.model;
  if (!file) file = await ensureBenchModel(o.shape, o.dtype, (s) => process.stderr.write(`${s}\n`), o.layers || undefined);
  const req: BenchRequest = {
    promptLengths: o.promptLengths, decodeTokens: o.decodeTokens, prefillChunk: o.prefillChunk, serialDecode: o.serialDecode,
    ...(o.attentionSplits ? { attentionSplits: o.attentionSplits } : {}),
    schedule: o.schedule as 'auto' | 'gpu' | 'cpu',
    activationRounding: o.activationRounding as 'checkpoint' | 'off',
    tuning: {
      ...(o.gemmTile ? { gemmTile: o.gemmTile as 32 | 64 } : {}),
      gemm: o.gemm as 'auto' | 'tiled',
      matrixGrid: o.matrixGrid as 1 | 2,
    },
  };
  const log = (s: string) => void process.stderr.write(`${s}\n`);
  const local = await stat(file).catch(() => null);
  let result: BenchResult;
  if (o.backend === 'node') {
    // Dawn in this process: for machines without a browser (the GPU machine).
    const { nodeGpu } = await import('../lib/node-gpu.ts');
    const { modelInputFromPath } = await import('../../src/formats/source-node.ts');
    result = await runBench(await modelInputFromPath(file), req, log, await nodeGpu());
  } else {
    // Imported here: the GPU kit's bundle (Node only) leaves Playwright and Vite out.
    const { openBrowserPage } = await import('../lib/browser.ts');
    const session = await openBrowserPage('/scripts/bench/page.html', local ? path.resolve(file) : undefined);
    try {
      const url = local ? `${session.baseUrl}/__model/${local.isFile() ? path.basename(file) : ''}` : file;
      await session.page.exposeFunction('benchLog', log);
      await session.page.waitForFunction(() => typeof window.benchRun === 'function');
      result = await session.page.evaluate(([m, r]) => window.benchRun(m, r), [url, req] as const);
    } finally {
      await session.close();
    }
  }
  let peer: PeerResult | null = null;
  if (o.llamaCpp) {
    if (!local?.isFile() || !file.endsWith('.gguf')) throw new Error('--llama-cpp needs a local .gguf model (or a random --shape model)');
    const { runLlamaCppBench } = await import('./llama-cpp.ts');
    // The engine's figures are kept when the peer cannot run (on the GPU machine there is no second try).
    peer = await runLlamaCppBench(file, req, o.llamaCpp, result.vocabSize, log).catch((e: unknown) => {
      const error = e instanceof Error ? e.message : String(e);
      log(`llama.cpp ${o.llamaCpp} failed: ${error}`);
      return { name: `llama.cpp ${o.llamaCpp}`, devices: [], prefill: [], decode: [], error };
    });
  }
  process.stdout.write(o.json ? `${JSON.stringify({ ...result, peer })}\n` : `${table(result, peer)}\n`);
  return { result, peer };
}
