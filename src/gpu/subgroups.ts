/**
 * Subgroup (warp / wave) operations let the threads sharing a GEMV row add their partial sums with
 * register shuffles instead of workgroup memory and barriers. The GEMV hands a row to TPR consecutive
 * threads of a workgroup, so a shuffle reduction is right only if those threads are consecutive lanes
 * of one subgroup: WGSL does not promise how local_invocation_index maps to subgroup lanes. This
 * checks it once per device on a 256-thread workgroup: the sampler's size, the largest of the
 * kernels that rely on it (GEMVs take 64 or 128 threads, attention 64).
 */
const PROBE_THREADS = 256;
const PROBE = `enable subgroups;
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(${PROBE_THREADS})
fn probe(@builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32,
         @builtin(subgroup_size) size: u32) {
  out[lid] = select(0u, size, lane == lid % size);
}`;

/**
 * The most threads per row whose sums may be reduced by subgroup shuffles: the smallest subgroup size
 * the adapter may use, if subgroup lanes follow local_invocation_index; 0 where they do not, or where
 * the device has no subgroups.
 */
export async function subgroupRowLanes(device: GPUDevice, minSize: number): Promise<number> {
  if (!device.features.has('subgroups') || !(minSize >= 2)) return 0;
  const module = device.createShaderModule({ label: 'subgroup layout probe', code: PROBE });
  const pipeline = device.createComputePipeline({ label: 'subgroup layout probe', layout: 'auto', compute: { module, entryPoint: 'probe' } });
  const out = device.createBuffer({ label: 'subgroup probe', size: PROBE_THREADS * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ label: 'subgroup probe read', size: PROBE_THREADS * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: out } }] }));
    pass.dispatchWorkgroups(1);
    pass.end();
    enc.copyBufferToBuffer(out, 0, read, 0, PROBE_THREADS * 4);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const sizes = new Uint32Array(read.getMappedRange().slice(0));
    read.unmap();
    // 0 marks a lane out of order; the size seen must be one the adapter announced.
    return sizes.every((s) => s >= minSize) ? minSize : 0;
  } finally {
    out.destroy();
    read.destroy();
  }
}
