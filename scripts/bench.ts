/**
 * npm run bench -- [--model <gguf | folder | URL>] [--shape qwen2-1.5b|qwen2-7b|llama-8b|qwen3-8b|tiny]
 *   [--dtype q4_0|q8_0|f16] [--prompt-lengths 128,512,2048] [--decode-tokens 32] [--prefill-chunk 128] [--json]
 *   [--layers N] [--backend chromium|node]
 *
 * Loads a model (a file, or random weights of a real checkpoint's exact shapes, written once to
 * .cache/bench-models) in headless Chromium with the same engine code as the app, and prints one
 * table: prefill speed per prompt length, time to first token, decode speed at short and long
 * context, load time, GPU bytes, the adapter, and GPU time per kernel when timestamps are available.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { GgmlDtype } from '../src/formats/dtypes.ts';
import { runBench, type BenchRequest, type BenchResult } from './bench/run.ts';
import { BENCH_SHAPES, ensureBenchModel } from './lib/bench-model.ts';
import { openBrowserPage } from './lib/browser.ts';

function parse(argv: string[]) {
  const o = { model: '', shape: 'qwen2-1.5b', dtype: 'q4_0' as GgmlDtype, promptLengths: [128, 512, 2048], decodeTokens: 32, prefillChunk: 128, json: false, backend: 'chromium', layers: 0 };
  for (let i = 0; i < argv.length; i++) {
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return x;
    };
    const a = argv[i];
    if (a === '--model') o.model = v();
    else if (a === '--shape') o.shape = v();
    else if (a === '--dtype') o.dtype = v() as GgmlDtype;
    else if (a === '--prompt-lengths') o.promptLengths = v().split(',').map(Number);
    else if (a === '--decode-tokens') o.decodeTokens = Number(v());
    else if (a === '--prefill-chunk') o.prefillChunk = Number(v());
    else if (a === '--json') o.json = true;
    else if (a === '--backend') o.backend = v();
    else if (a === '--layers') o.layers = Number(v());
    else throw new Error(`unknown option ${a}`);
  }
  if (!o.model && !(o.shape in BENCH_SHAPES)) throw new Error(`--shape must be one of ${Object.keys(BENCH_SHAPES).join(', ')}`);
  if (o.backend !== 'chromium' && o.backend !== 'node') throw new Error('--backend is chromium or node');
  if (o.promptLengths.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--prompt-lengths takes positive integers, e.g. 128,512,2048');
  return o;
}

function table(r: BenchResult): string {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  const rows: [string, string][] = [
    ['model', r.model],
    ['adapter', r.adapter],
    ['load', `${(r.loadMs / 1000).toFixed(2)} s`],
    ['GPU bytes', `${mib(r.weightBytes)} weights + ${mib(r.kvCacheBytes)} KV cache`],
    ...r.prefill.map((p): [string, string] => [`prefill ${p.tokens}`, `${p.tokensPerS.toFixed(1)} tok/s (first token after ${p.ttftMs.toFixed(0)} ms)`]),
    ...r.decode.map((d): [string, string] => [`decode @${d.context}`, `${d.tokensPerS.toFixed(2)} tok/s (${d.tokens} tokens)`]),
    ...(r.kernels ?? []).slice(0, 12).map((k): [string, string] => [`  ${k.name}`, `${k.ms.toFixed(3)} ms x${k.dispatches}`]),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  let file = o.model;
  if (!file) file = await ensureBenchModel(o.shape, o.dtype, (s) => process.stderr.write(`${s}\n`), o.layers || undefined);
  const req: BenchRequest = { promptLengths: o.promptLengths, decodeTokens: o.decodeTokens, prefillChunk: o.prefillChunk };
  const log = (s: string) => void process.stderr.write(`${s}\n`);
  const local = await stat(file).catch(() => null);
  let result: BenchResult;
  if (o.backend === 'node') {
    // Dawn in this process: for machines without a browser (the GPU machine).
    const { nodeGpu } = await import('./lib/node-gpu.ts');
    const { sourceFromPath, filesFromDirectory } = await import('../src/formats/source-node.ts');
    const model = local?.isFile() ? { gguf: await sourceFromPath(file) } : local ? { folder: filesFromDirectory(file) } : file;
    result = await runBench(model, req, log, await nodeGpu());
  } else {
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
  process.stdout.write(o.json ? `${JSON.stringify(result)}\n` : `${table(result)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
