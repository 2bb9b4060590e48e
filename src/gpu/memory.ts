/**
 * Live GPU buffer bytes of one device. WebGPU has no query for what a device holds, so the device's
 * createBuffer is wrapped: every buffer counts from its creation until its destroy(), or until the
 * device itself is destroyed or lost (which frees everything on it). Buffers dropped without
 * destroy() stay counted: that is what the long-run tests look for.
 */
export interface GpuMemory {
  /** Bytes of the buffers alive now. */
  readonly liveBytes: number;
  readonly liveBuffers: number;
  /** The most live bytes at any time. */
  readonly peakBytes: number;
  /** Buffers created since the device was made. */
  readonly createdBuffers: number;
}

export function trackBufferMemory(device: GPUDevice): GpuMemory {
  const m = { liveBytes: 0, liveBuffers: 0, peakBytes: 0, createdBuffers: 0 };
  let gone = false;
  const forgetAll = () => {
    gone = true;
    m.liveBytes = 0;
    m.liveBuffers = 0;
  };
  const createBuffer = device.createBuffer.bind(device);
  const destroyDevice = device.destroy.bind(device);
  device.createBuffer = (desc: GPUBufferDescriptor): GPUBuffer => {
    const buffer = createBuffer(desc);
    // A buffer made on a lost device is an error object with no memory behind it.
    if (gone) return buffer;
    const size = desc.size;
    m.liveBytes += size;
    m.liveBuffers++;
    m.createdBuffers++;
    m.peakBytes = Math.max(m.peakBytes, m.liveBytes);
    let live = true;
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      if (live && !gone) {
        m.liveBytes -= size;
        m.liveBuffers--;
      }
      live = false;
      destroy();
    };
    return buffer;
  };
  device.destroy = () => {
    forgetAll();
    destroyDevice();
  };
  void device.lost.then(forgetAll);
  return m;
}
