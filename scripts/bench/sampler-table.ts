/**
 * GPU time of the token pick on its own, in Node through Dawn: greedy argmax and sampling
 * (temperature 0.6, top-p 0.95: R1's recommended settings) over 151,936 logits, for a flat distribution
 * (random logits: the kept set is huge, the whole vocabulary is searched), a peaked one (a few
 * tokens far above a flat tail, the usual shape of a model's output: the candidates are gathered),
 * and the peaked one with thousands of tokens in between, above eps but far below the kept ones.
 * Each is timed with the vocabulary cut as this adapter cuts it and in one chunk (every pass in one
 * workgroup, as the pick ran before the chunked stages). Median of 7 runs: the GPU time of the pick's
 * launches where the device has timestamp queries, else the wall time of one submission.
 * Used by `npm run bench:sampler` and the GPU kit (`device.mjs sampler`).
 */
import { Rng } from '../lib/random.ts';
import { createGpu } from '../../src/gpu/device.ts';
import { encodeDispatches, STEP_LAYOUT, type Dispatch, type KernelContext } from '../../src/gpu/dispatch.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { profileDispatches } from '../../src/gpu/profiler.ts';
import { createUniformBuffer } from '../../src/gpu/uniforms.ts';
import { createF32Buffer } from '../../src/gpu/weights.ts';
import { argmax, createPickBuffers, pickPerThread, sample, SAMPLE_PARAMS } from '../../src/kernels/sample.ts';

const VOCAB = 151_936;
const RUNS = 7;

export async function samplerTable(dawn: GPU): Promise<string> {
  const gpu = await createGpu({ gpu: dawn });
  const { device } = gpu;
  const ctx: KernelContext = {
    gpu,
    pipelines: new PipelineCache(device),
    step: createUniformBuffer(device, STEP_LAYOUT, { pos: 0, seed: 1, draw: 0, pad: 0 }, 'step'),
    owned: [],
  };
  const rng = new Rng(5);
  const flat = Float32Array.from(rng.normals(VOCAB));
  const peaked = Float32Array.from(flat);
  for (let i = 0; i < 40; i++) peaked[Math.floor(rng.next() * VOCAB)] = 12 + 2 * rng.next();
  // Thousands of tokens above eps but far below the kept ones: too many to gather at eps itself.
  const tail = Float32Array.from(peaked);
  for (let i = 0; i < 3000; i++) tail[Math.floor(rng.next() * VOCAB)] = 6 + rng.next();
  const result = device.createBuffer({ size: 4, usage: GPUBufferUsage.STORAGE });
  const params = createUniformBuffer(device, SAMPLE_PARAMS, { vocab: VOCAB, temperature: 0.6, topK: 0, topP: 0.95, penalty: 1, pad: 0 }, 'sampler params');
  const cuts = [
    { name: `chunks of ${256 * pickPerThread(VOCAB, gpu.isCpu)} ids (this adapter's)`, perThread: pickPerThread(VOCAB, gpu.isCpu) },
    { name: 'one chunk (one workgroup)', perThread: Math.ceil(VOCAB / 256) },
  ];
  const clock = gpu.hasTimestamps ? 'GPU time' : 'wall time of a submission';
  const rows = [`adapter: ${gpu.adapterName}; ${clock}, median of ${RUNS}`, '| logits | vocabulary | argmax | sample (T 0.6, top-p 0.95) |', '|---|---|---|---|'];
  for (const [name, data] of [['flat', flat], ['peaked', peaked], ['peaked, 3000 tokens 6-7 below', tail]] as const) {
    // The sampler overwrites the logits with weights: each run starts from a fresh copy.
    const source = createF32Buffer(device, `${name} logits`, data, GPUBufferUsage.COPY_SRC);
    const logits = createF32Buffer(device, 'logits', data);
    const refill = (enc: GPUCommandEncoder) => enc.copyBufferToBuffer(source, 0, logits, 0, VOCAB * 4);
    const once = async (ds: Dispatch[]): Promise<number> => {
      if (gpu.hasTimestamps) return (await profileDispatches(device, ds, refill)).reduce((t, k) => t + k.ms, 0);
      const copy = device.createCommandEncoder();
      refill(copy);
      device.queue.submit([copy.finish()]);
      await device.queue.onSubmittedWorkDone();
      const enc = device.createCommandEncoder();
      encodeDispatches(enc, ds);
      const t0 = performance.now();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    const median = async (ds: Dispatch[]) => {
      const ms: number[] = [];
      for (let r = 0; r < RUNS; r++) ms.push(await once(ds));
      return ms.sort((a, b) => a - b)[RUNS >> 1];
    };
    for (const cut of cuts) {
      const scratch = createPickBuffers(device, VOCAB, gpu.isCpu, cut.perThread);
      const greedy = await median(argmax(ctx, logits, result, params, scratch));
      const sampled = await median(sample(ctx, logits, result, params, scratch));
      rows.push(`| ${name} | ${cut.name} | ${greedy.toFixed(3)} ms | ${sampled.toFixed(3)} ms |`);
    }
  }
  device.destroy();
  return rows.join('\n');
}
