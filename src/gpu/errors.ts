/** No WebGPU at all: the browser lacks it, or it is switched off. */
export class WebGpuUnavailableError extends Error {
  override name = 'WebGpuUnavailableError';
}

/** The adapter's limits are too small for what the chosen model needs. */
export class GpuLimitError extends Error {
  override name = 'GpuLimitError';
  constructor(
    readonly limit: string,
    readonly neededBytes: number,
    readonly allowedBytes: number,
    fix: string,
  ) {
    super(
      `this model needs ${limit} of ${formatBytes(neededBytes)}, but the GPU adapter allows ${formatBytes(allowedBytes)} ` +
        `(maxStorageBufferBindingSize). ${fix}`,
    );
  }
}

/** The GPU device was lost (driver reset, device destroyed) while in use. */
export class GpuDeviceLostError extends Error {
  override name = 'GpuDeviceLostError';
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
