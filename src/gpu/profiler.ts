import { type Dispatch } from './dispatch.ts';

/** GPU time of one kernel variant, summed over its dispatches in the profiled submission. */
export interface KernelTime {
  name: string;
  dispatches: number;
  ms: number;
}

/**
 * Times each dispatch with timestamp queries (one compute pass per dispatch, start and end written
 * by the pass) and sums by variant name. Costs nothing unless called: the engine's normal path
 * encodes one pass for the whole step.
 */
export async function profileDispatches(device: GPUDevice, dispatches: readonly Dispatch[], before?: (enc: GPUCommandEncoder) => void): Promise<KernelTime[]> {
  if (!device.features.has('timestamp-query')) throw new Error('this GPU does not offer timestamp queries');
  const count = dispatches.length * 2;
  const querySet = device.createQuerySet({ type: 'timestamp', count });
  const resolve = device.createBuffer({ size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: count * 8, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  try {
    const enc = device.createCommandEncoder();
    before?.(enc);
    dispatches.forEach((d, i) => {
      const pass = enc.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(...d.workgroups);
      pass.end();
    });
    enc.resolveQuerySet(querySet, 0, count, resolve, 0);
    enc.copyBufferToBuffer(resolve, 0, read, 0, count * 8);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const t = new BigInt64Array(read.getMappedRange().slice(0));
    read.unmap();
    const byName = new Map<string, KernelTime>();
    dispatches.forEach((d, i) => {
      const k = byName.get(d.name) ?? { name: d.name, dispatches: 0, ms: 0 };
      k.dispatches++;
      k.ms += Number(t[2 * i + 1] - t[2 * i]) / 1e6;
      byName.set(d.name, k);
    });
    return [...byName.values()].sort((a, b) => b.ms - a.ms);
  } finally {
    querySet.destroy();
    resolve.destroy();
    read.destroy();
  }
}
