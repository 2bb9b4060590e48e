/** A WebGPU validation or out-of-memory error, raised as an exception instead of a console line. */
export class GpuValidationError extends Error {
  override name = 'GpuValidationError';
}

/**
 * Runs `fn` inside validation and out-of-memory error scopes and throws what they caught: WebGPU
 * otherwise only logs such errors and carries on with invalid objects.
 */
export async function checked<T>(device: GPUDevice, what: string, fn: () => T | Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T;
  try {
    result = await fn();
  } finally {
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    const err = validation ?? oom;
    if (err) {
      const kind = oom && !validation ? 'ran out of GPU memory' : 'failed GPU validation';
      throw new GpuValidationError(`${what} ${kind}: ${err.message}`);
    }
  }
  return result;
}
