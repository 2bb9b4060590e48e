import type { KernelContext } from '../gpu/dispatch.ts';
import { gridOf, iqGridWords, type GridDtype } from '../formats/iq-grids.ts';
import type { WeightDtype } from '../formats/dtypes.ts';

/** The binding weights.wgsl reads an i-quant's grid from (`iqGrid`, under IQ_GRID). */
const IQ_GRID_BINDING = 13;

/** Each device's grid buffers: a few KB per type, uploaded once and shared by every dispatch. */
const gridBuffers = new WeakMap<GPUDevice, Map<Uint32Array, GPUBuffer>>();

function gridBuffer(device: GPUDevice, dtype: GridDtype): GPUBuffer {
  let byGrid = gridBuffers.get(device);
  if (!byGrid) gridBuffers.set(device, (byGrid = new Map()));
  // Keyed by the words, not the type: IQ1_S and IQ1_M share one grid.
  const words = iqGridWords(dtype);
  let buffer = byGrid.get(words);
  if (!buffer) {
    buffer = device.createBuffer({ label: `${dtype} grid`, size: words.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(buffer, 0, words);
    byGrid.set(words, buffer);
  }
  return buffer;
}

/** The grid binding a dispatch over weights of this type needs: none but for the grid i-quants. */
export function iqGridBinding(ctx: KernelContext, dtype: WeightDtype): Record<number, GPUBuffer> {
  const grid = gridOf(dtype);
  return grid ? { [IQ_GRID_BINDING]: gridBuffer(ctx.gpu.device, grid) } : {};
}
