/**
 * The GPU kit's entry point, bundled by scripts/gpu/pack.ts into .gpu/kit/device.mjs and run by
 * scripts/gpu/run.sh on a machine with no Node install and no node_modules beyond the kit's own
 * (the lent GPU machine). Everything runs in Node on Dawn, the engine code unchanged:
 *
 *   verify                                   the kit was packed from this tree's code (exit 1 if not)
 *   info    [--record FILE]                  the adapter, its features and limits, the schedule chosen
 *   check   [--only REGEX] [--shard K/N] [--schedule gpu] [--record FILE]
 *                                            every format against the float64 reference (exit 1 on a failure)
 *   gemm    [--record FILE]                  the prefill GEMM on matrix units, kernel by kernel against the
 *                                            float64 reference, where the adapter has them (exit 1 on a failure)
 *   models  SHAPE:DTYPE ...                  writes the bench's random models ahead of the runs
 *   bench   --label NAME [--record FILE] ... `npm run bench -- --backend node ...`, one JSON line appended to FILE
 *   summary FILE                             the recorded bench runs as one Markdown table
 *   sampler                                  `npm run bench:sampler`: the token pick alone, as a Markdown table
 *   gemv    [--shape S] [--dtypes A,B] ...   `npm run bench:gemv`: one layer's decode GEMVs alone, as a Markdown table
 */
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGpu } from '../../src/gpu/device.ts';
import { benchCli } from '../bench/cli.ts';
import { samplerTable } from '../bench/sampler-table.ts';
import { gemvTable, parseGemvArgs } from '../bench/gemv-table.ts';
import { ensureBenchModel, type BenchDtype } from '../lib/bench-model.ts';
import { nodeGpu } from '../lib/node-gpu.ts';
import { REPO_ROOT } from '../lib/repo-root.ts';
import { runCheck } from './check.ts';
import { adapterInfo, useGpu } from '../../e2e/harness/kernels.ts';
import { MATRIX_GEMM_TOL, matrixGemmCases } from '../lib/matrix-gemm-check.ts';
import { summaryTable, type BenchRecord } from './summary.ts';
import { treeHash } from './tree-hash.ts';

const log = (s: string) => void process.stderr.write(`${s}\n`);

/** Removes `--name value` from argv and returns the value (or undefined). */
function take(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  argv.splice(i, 2);
  return v;
}

async function info(gpu: GPU) {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('Dawn offers no adapter: is a Vulkan driver installed (VK_DRIVER_FILES / VK_ICD_FILENAMES)?');
  const ctx = await createGpu({ gpu });
  const limits: Record<string, number> = {};
  for (const k of ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupsPerDimension']) {
    limits[k] = (adapter.limits as unknown as Record<string, number>)[k];
  }
  type Config = { componentType: string; resultComponentType: string; M: number; N: number; K: number };
  const a = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number; subgroupMatrixConfigs?: Config[] };
  const out = {
    adapter: ctx.adapterName,
    subgroupSizes: [a.subgroupMinSize, a.subgroupMaxSize],
    // Tensor-core tiles (chromium-experimental-subgroup-matrix), listed only when Dawn allows unsafe APIs;
    // their fields are getters, which JSON.stringify skips.
    subgroupMatrixConfigs: (a.subgroupMatrixConfigs ?? []).map(({ componentType, resultComponentType, M, N, K }) => ({ componentType, resultComponentType, M, N, K })),
    features: [...adapter.features].sort(),
    limits,
    engine: {
      isCpu: ctx.isCpu, hasF16: ctx.hasF16, hasSubgroups: ctx.hasSubgroups, subgroupRowLanes: ctx.subgroupRowLanes, hasTimestamps: ctx.hasTimestamps,
      subgroupMatrix: ctx.subgroupMatrix,
    },
  };
  ctx.device.destroy();
  return out;
}

async function main(argv: string[]): Promise<number> {
  const cmd = argv.shift();
  const record = take(argv, '--record');
  if (cmd === 'verify') {
    // Bundled, this file is .gpu/kit/device.mjs with the manifest beside it.
    const manifest = JSON.parse(await readFile(path.join(path.dirname(fileURLToPath(import.meta.url)), 'manifest.json'), 'utf8')) as { treeHash: string; packedAt: string };
    const tree = await treeHash(REPO_ROOT);
    if (tree !== manifest.treeHash) {
      log(`the kit was packed (${manifest.packedAt}) from other code than this tree's (${manifest.treeHash} vs ${tree}): run npm run gpu:pack again`);
      return 1;
    }
    log(`kit packed ${manifest.packedAt} from this tree (${tree})`);
    return 0;
  }
  if (cmd === 'info') {
    const out = JSON.stringify(await info(await nodeGpu()), null, 1);
    process.stdout.write(`${out}\n`);
    if (record) await appendFile(record, `${out}\n`);
    return 0;
  }
  if (cmd === 'check') {
    const only = take(argv, '--only') ?? '';
    const [k, n] = (take(argv, '--shard') ?? '1/1').split('/').map(Number);
    if (!(n >= 1 && k >= 1 && k <= n)) throw new Error('--shard takes K/N with 1 <= K <= N, e.g. 2/4');
    const schedule = take(argv, '--schedule');
    if (schedule !== undefined && schedule !== 'gpu') throw new Error('--schedule takes gpu (the GPU kernel variants on any adapter)');
    if (argv.length) throw new Error(`check: unknown arguments ${argv.join(' ')}`);
    const lines = await runCheck(await nodeGpu(), log, { only, shard: [k, n], schedule: schedule === 'gpu' ? 'gpu' : 'auto' });
    if (record) await appendFile(record, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    if (!lines.length && n === 1) throw new Error(`check: no case matches --only ${only}`);
    const failed = lines.filter((l) => !l.ok);
    log(`check: ${lines.length - failed.length} passed, ${failed.length} failed`);
    return failed.length ? 1 : 0;
  }
  if (cmd === 'gemm') {
    const gpu = await nodeGpu();
    useGpu(gpu);
    const info = await adapterInfo();
    if (!info.subgroupMatrix) {
      log(`gemm: ${info.name} offers no matrix units the GEMM can use; the tiled f32 GEMM runs (checked by check)`);
      return 0;
    }
    log(`gemm: ${info.name}, matrix units ${JSON.stringify(info.subgroupMatrix)}`);
    let failed = 0;
    const cases = matrixGemmCases(info.subgroupMatrix);
    for (const c of cases) {
      const t0 = performance.now();
      const err = await c.run().catch((e: unknown) => (log(`  ${c.label}: ${e instanceof Error ? e.message : String(e)}`), NaN));
      const ok = err < MATRIX_GEMM_TOL;
      if (!ok) failed++;
      log(`${ok ? 'ok  ' : 'FAIL'} gemm ${c.label.padEnd(70)} ${err.toExponential(2)} of sum |x w| (tolerance ${MATRIX_GEMM_TOL}) [${((performance.now() - t0) / 1000).toFixed(1)} s]`);
      if (record) await appendFile(record, `${JSON.stringify({ label: `gemm ${c.label}`, relDiff: err, ok })}\n`);
    }
    log(`gemm: ${cases.length - failed} passed, ${failed} failed`);
    return failed ? 1 : 0;
  }
  if (cmd === 'models') {
    for (const m of argv) {
      const [shape, dtype] = m.split(':');
      if (!dtype) throw new Error(`models takes SHAPE:DTYPE, e.g. qwen2-1.5b:q4_0 (got ${m})`);
      log(await ensureBenchModel(shape, dtype as BenchDtype, () => {}));
    }
    return 0;
  }
  if (cmd === 'gemv') {
    process.stdout.write(`${await gemvTable(await nodeGpu(), parseGemvArgs(argv))}\n`);
    return 0;
  }
  if (cmd === 'bench') {
    const label = take(argv, '--label') ?? argv.join(' ');
    const { result, peer } = await benchCli(['--backend', 'node', ...argv]);
    const rec: BenchRecord = { label, result, peer };
    if (record) await appendFile(record, `${JSON.stringify(rec)}\n`);
    return 0;
  }
  if (cmd === 'summary') {
    const file = argv[0];
    if (!file) throw new Error('summary needs the file the bench runs were recorded in');
    const text = await readFile(file, 'utf8').catch(() => '');
    const records = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as BenchRecord);
    process.stdout.write(records.length ? `${summaryTable(records)}\n` : `no bench run was recorded in ${file}\n`);
    return 0;
  }
  if (cmd === 'sampler') {
    process.stdout.write(`${await samplerTable(await nodeGpu())}\n`);
    return 0;
  }
  throw new Error(`unknown command ${cmd ?? '(none)'}: verify, info, check, gemm, models, bench, summary or sampler`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
