/**
 * The GEMV bench's measurements, used by `npm run bench:gemv` (scripts/bench/gemv.ts) and the GPU kit
 * (`device.mjs gemv`):
 *
 * npm run bench:gemv -- [--shape qwen2-1.5b|qwen2-7b|llama-8b|qwen3-8b] [--dtypes q4_0,q4_k,q6_k,q8_0,f16]
 *   [--schedule auto|gpu|cpu] [--runs 9] [--against DIR]
 *
 * The decode GEMVs of one layer of a model's shape on their own, in Node through Dawn: q/k/v (as one
 * matrix, input norm fused), o (accumulating into the residual), gate and up (one SwiGLU pass, input
 * norm fused) and down, one token, random valid weights of each type. Prints one table: GPU time per
 * launch (median of --runs; the wall time of a submission where the device has no timestamp queries)
 * and the weight bytes it read per second. On a GPU that is each type's GEMV bandwidth, to set
 * against the copy bandwidth `npm run bench` measures.
 *
 * --against DIR times the same launches with the .wgsl files of DIR as well (another tree's shaders,
 * e.g. `git archive HEAD~1 shaders | tar -x -C /tmp/base` then `--against /tmp/base/shaders`),
 * alternating which goes first run by run, in one process, and prints their ratio. On a CPU adapter
 * (SwiftShader: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json) the times are a CPU's,
 * not a GPU's, and vary 10-20% run to run; --schedule gpu runs the variants a GPU gets there.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { BENCH_SHAPES } from '../lib/bench-model.ts';
import { forEachFlag } from '../lib/flags.ts';
import { encodeWeights, randomKQuantBytes, type KQuantDtype } from '../lib/encode-weights.ts';
import { Rng } from '../lib/random.ts';
import { REPO_ROOT } from '../lib/repo-root.ts';
import { createGpu, type GpuContext } from '../../src/gpu/device.ts';
import { encodeDispatches, STEP_LAYOUT, type Dispatch, type KernelContext } from '../../src/gpu/dispatch.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { profileDispatches } from '../../src/gpu/profiler.ts';
import { registerShaderSources } from '../../src/gpu/shader-source.ts';
import { createUniformBuffer } from '../../src/gpu/uniforms.ts';
import { createF32Buffer, uploadWeight, type GpuWeight } from '../../src/gpu/weights.ts';
import { DTYPE_LAYOUTS, type WeightDtype } from '../../src/formats/dtypes.ts';
import { matmul } from '../../src/kernels/matmul.ts';

export interface Options {
  shape: string;
  dtypes: WeightDtype[];
  schedule: 'auto' | 'gpu' | 'cpu';
  runs: number;
  against: string | null;
}

export function parseGemvArgs(argv: string[]): Options {
  const o: Options = { shape: 'qwen2-1.5b', dtypes: ['q4_0', 'q4_k', 'q6_k', 'q8_0', 'f16'], schedule: 'auto', runs: 9, against: null };
  forEachFlag(argv, (a, v) => {
    if (a === '--shape') o.shape = v();
    else if (a === '--dtypes') o.dtypes = v().split(',') as WeightDtype[];
    else if (a === '--schedule') o.schedule = v() as Options['schedule'];
    else if (a === '--runs') o.runs = Number(v());
    else if (a === '--against') o.against = v();
    else throw new Error(`unknown option ${a}`);
  });
  if (!(o.shape in BENCH_SHAPES)) throw new Error(`--shape must be one of ${Object.keys(BENCH_SHAPES).join(', ')}`);
  for (const d of o.dtypes) if (!(d in DTYPE_LAYOUTS)) throw new Error(`unknown weight type ${d}; one of ${Object.keys(DTYPE_LAYOUTS).join(', ')}`);
  if (!['auto', 'gpu', 'cpu'].includes(o.schedule)) throw new Error('--schedule is auto, gpu or cpu');
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs takes a positive whole number');
  return o;
}

/** One layer's decode GEMVs: [rows, cols], and what each fuses. */
function layerMatrices(shape: string) {
  const { hiddenSize: h, nHeads, nKvHeads, headDim, ffnSize: f } = BENCH_SHAPES[shape].dims;
  return [
    { name: 'q, k, v (one matrix), norm', rows: (nHeads + 2 * nKvHeads) * headDim, cols: h, norm: true, glu: false, accumulate: false },
    { name: 'o, into the residual', rows: h, cols: nHeads * headDim, norm: false, glu: false, accumulate: true },
    { name: 'gate + up, SwiGLU, norm', rows: f, cols: h, norm: true, glu: true, accumulate: false },
    { name: 'down, into the residual', rows: h, cols: f, norm: false, glu: false, accumulate: true },
  ];
}

function randomWeight(dtype: WeightDtype, rows: number, cols: number, rng: Rng): Uint8Array {
  const k = dtype.endsWith('_k') || dtype.startsWith('iq');
  return k ? randomKQuantBytes(dtype as KQuantDtype, rows, cols, rng) : encodeWeights(dtype, rng.normals(rows * cols, 0.05));
}

async function shaderFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const f of await readdir(dir)) if (f.endsWith('.wgsl')) files[f] = await readFile(path.join(dir, f), 'utf8');
  if (!Object.keys(files).length) throw new Error(`no .wgsl files in ${dir}`);
  return files;
}

/** GPU time of one submission of `ds` (timestamps where offered, else wall time). */
async function timeOnce(gpu: GpuContext, ds: Dispatch[]): Promise<number> {
  if (gpu.hasTimestamps) return (await profileDispatches(gpu.device, ds)).reduce((t, k) => t + k.ms, 0);
  const enc = gpu.device.createCommandEncoder();
  encodeDispatches(enc, ds);
  const t0 = performance.now();
  gpu.device.queue.submit([enc.finish()]);
  await gpu.device.queue.onSubmittedWorkDone();
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** The table for these options (parseGemvArgs), on Dawn's GPU object `dawn`. */
export async function gemvTable(dawn: GPU, o: Options): Promise<string> {
  const base = await createGpu({ gpu: dawn });
  const gpu: GpuContext = o.schedule === 'auto' ? base : { ...base, isCpu: o.schedule === 'cpu' };
  const { device } = gpu;
  const step = createUniformBuffer(device, STEP_LAYOUT, { pos: 0, seed: 0, draw: 0, pad: 0 }, 'step');
  // This tree's shaders, then the other folder's.
  const trees = [await shaderFiles(path.join(REPO_ROOT, 'shaders'))];
  if (o.against) trees.push(await shaderFiles(o.against));
  const rng = new Rng(11);
  const clock = gpu.hasTimestamps ? 'GPU time' : 'wall time of a submission';
  const head = o.against ? ` ms (${o.against}) | this / that |` : '';
  const rows = [
    `adapter: ${gpu.adapterName} (${gpu.isCpu ? 'CPU' : 'GPU'} kernel variants); ${o.shape}, one token; ${clock}, median of ${o.runs}`,
    `| matrix | type | variant | MiB | ms | GB/s |${head}`,
    `|---|---|---|---|---|---|${o.against ? '---|---|' : ''}`,
  ];
  for (const dtype of o.dtypes) {
    for (const m of layerMatrices(o.shape)) {
      const upload = (bytes: Uint8Array, name: string): Promise<GpuWeight> =>
        uploadWeight(device, { name, dtype, rows: m.rows, cols: m.cols }, async (at, n) => bytes.subarray(at, at + n), { maxBindingBytes: gpu.maxBindingBytes });
      const weight = await upload(randomWeight(dtype, m.rows, m.cols, rng), 'w');
      const up = m.glu ? await upload(randomWeight(dtype, m.rows, m.cols, rng), 'up') : undefined;
      const x = createF32Buffer(device, 'x', rng.normals(m.cols));
      const gain = m.norm ? createF32Buffer(device, 'gain', rng.normals(m.cols)) : undefined;
      const y = createF32Buffer(device, 'y', new Float32Array(m.rows));
      // Each tree's pipelines are compiled from its sources, in a cache of its own.
      const launches = trees.map((files) => {
        registerShaderSources(files);
        const ctx: KernelContext = { gpu, pipelines: new PipelineCache(device), step, owned: [] };
        return matmul(ctx, { x, weight, up, y, T: 1, kind: 'gemv', accumulate: m.accumulate, norm: gain && { gain, eps: 1e-6 } });
      });
      const ms: number[][] = trees.map(() => []);
      // Alternating which tree goes first, so neither gains from the other's warm caches.
      for (let r = 0; r < o.runs; r++) {
        const order = r % 2 ? [...trees.keys()].reverse() : [...trees.keys()];
        for (const t of order) ms[t].push(await timeOnce(gpu, launches[t]));
      }
      const [ours, theirs] = ms.map(median);
      const bytes = m.rows * weight.rowBytes * (up ? 2 : 1);
      // The variant's flags less the weight type's own (the type column names it).
      const variant = launches[0][0].name.replace(/^matmul_gemv_(block_scale_)?/, '').replace(/_weight_[a-z0-9_]+?_wg/, '_wg');
      const against = o.against ? ` ${theirs.toFixed(3)} | ${(ours / theirs).toFixed(2)} |` : '';
      rows.push(`| ${m.name} | ${dtype} | ${variant} | ${(bytes / 2 ** 20).toPrecision(3)} | ${ours.toFixed(3)} | ${(bytes / ours / 1e6).toPrecision(3)} |${against}`);
      for (const b of [weight, up]) b?.shards.forEach((s) => s.buffer.destroy());
      for (const b of [x, gain, y]) b?.destroy();
    }
  }
  // The engine's code in this process compiles this tree's shaders again.
  registerShaderSources(trees[0]);
  device.destroy();
  return rows.join('\n');
}
