/**
 * npm run bench:sampler — GPU time of the token pick on its own, in Node through Dawn: greedy argmax and
 * sampling (temperature 0.6, top-p 0.95: R1's recommended settings) over 151,936 logits, for a flat
 * distribution (random logits: the kept set is huge) and a peaked one (a few tokens far above a flat
 * tail, the usual shape of a model's output). Median of 7 runs each; wall time of one submission.
 * On a machine without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.
 */
import { nodeGpu } from '../lib/node-gpu.ts';
import { Rng } from '../lib/random.ts';
import { createGpu } from '../../src/gpu/device.ts';
import { encodeDispatches, STEP_LAYOUT, type Dispatch, type KernelContext } from '../../src/gpu/dispatch.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { createUniformBuffer } from '../../src/gpu/uniforms.ts';
import { createF32Buffer } from '../../src/gpu/weights.ts';
import { argmax, createPickBuffers, sample, SAMPLE_PARAMS } from '../../src/kernels/sample.ts';

const VOCAB = 151_936;

async function main(): Promise<void> {
  // Dawn's GPU object must outlive the device.
  const dawn = await nodeGpu();
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
  const result = device.createBuffer({ size: 4, usage: GPUBufferUsage.STORAGE });
  const params = createUniformBuffer(device, SAMPLE_PARAMS, { vocab: VOCAB, temperature: 0.6, topK: 0, topP: 0.95, penalty: 1, pad: 0 }, 'sampler params');
  const scratch = createPickBuffers(device, VOCAB, gpu.isCpu);
  const rows: string[] = [`adapter: ${gpu.adapterName}`, '| logits | argmax | sample (T 0.6, top-p 0.95) |', '|---|---|---|'];
  for (const [name, data] of [['flat', flat], ['peaked', peaked]] as const) {
    // The sampler overwrites the logits with weights: each run starts from a fresh copy.
    const source = createF32Buffer(device, `${name} logits`, data, GPUBufferUsage.COPY_SRC);
    const logits = createF32Buffer(device, 'logits', data);
    const time = async (ds: Dispatch[]) => {
      const ms: number[] = [];
      for (let r = 0; r < 7; r++) {
        const copy = device.createCommandEncoder();
        copy.copyBufferToBuffer(source, 0, logits, 0, VOCAB * 4);
        device.queue.submit([copy.finish()]);
        await device.queue.onSubmittedWorkDone();
        const enc = device.createCommandEncoder();
        encodeDispatches(enc, ds);
        const t0 = performance.now();
        device.queue.submit([enc.finish()]);
        await device.queue.onSubmittedWorkDone();
        ms.push(performance.now() - t0);
      }
      return ms.sort((a, b) => a - b)[3];
    };
    const greedy = await time(argmax(ctx, logits, result, scratch));
    const sampled = await time(sample(ctx, logits, result, params, scratch));
    rows.push(`| ${name} | ${greedy.toFixed(2)} ms | ${sampled.toFixed(2)} ms |`);
  }
  process.stdout.write(`${rows.join('\n')}\n`);
  device.destroy();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
