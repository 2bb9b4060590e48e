import { GpuLimitError, WebGpuUnavailableError } from './errors.ts';
import { trackBufferMemory, type GpuMemory } from './memory.ts';
import { subgroupRowLanes } from './subgroups.ts';

/** What the runtime needs from one GPU: the device and what it can do. */
export interface GpuContext {
  device: GPUDevice;
  adapterName: string;
  /** `shader-f16` is present (SwiftShader has none, so an f32 path always exists). */
  hasF16: boolean;
  hasSubgroups: boolean;
  /** Threads sharing a GEMV row may add their sums by subgroup shuffles up to this many (0: never). */
  subgroupRowLanes: number;
  hasTimestamps: boolean;
  /**
   * The matrix-unit shape the prefill GEMM runs on (`chromium-experimental-subgroup-matrix`, f16
   * inputs and f32 results), or null: see subgroupMatrixShape().
   */
  subgroupMatrix: SubgroupMatrixShape | null;
  /**
   * A CPU implementation (SwiftShader, llvmpipe, lavapipe): every workgroup costs a scheduling round
   * trip there, so kernels pick variants with fewer, larger workgroups.
   */
  isCpu: boolean;
  /** Largest single storage binding, bytes: tensors larger than this are split across bindings. */
  maxBindingBytes: number;
  maxBufferBytes: number;
  /** Live buffer bytes on the device (memory.ts): long-run tests check it stays flat. */
  memory: GpuMemory;
}

/** One subgroup's matrix multiply-accumulate: [M x K] f16 times [K x N] f16 into [M x N] f32. */
export interface SubgroupMatrixShape {
  M: number;
  N: number;
  K: number;
  /** Threads of the subgroup that runs it: the adapter's one subgroup size. */
  subgroupSize: number;
  /**
   * WGSL's `subgroup_id` builtin is there: a workgroup's subgroups can tell which part of its tile is
   * theirs, so several may share one (src/kernels/matmul.ts matrixGrid).
   */
  subgroupId: boolean;
}

/** Chrome's and Dawn's experimental matrix units (tensor cores); offered only where unsafe APIs are allowed. */
export const SUBGROUP_MATRIX_FEATURE = 'chromium-experimental-subgroup-matrix' as GPUFeatureName;

interface SubgroupMatrixConfig {
  componentType: string;
  resultComponentType: string;
  M: number;
  N: number;
  K: number;
}

/**
 * The matrix shape the GEMM can use on this adapter, or null. It needs the feature with shader-f16
 * and subgroups, a configuration of f16 inputs and f32 results (the first listed: adapters list
 * their preferred ones first) with sides of 8 or 16 (the GEMM's K step of 16, its 16-byte aligned
 * rows, and its tiles in 16 KiB of workgroup memory), and one fixed subgroup size: the GEMM's
 * workgroups are whole subgroups of that size.
 */
export function subgroupMatrixShape(
  features: ReadonlySet<string>,
  info: { subgroupMinSize?: number; subgroupMaxSize?: number; subgroupMatrixConfigs?: readonly SubgroupMatrixConfig[] },
  wgslFeatures: ReadonlySet<string> = new Set(),
): SubgroupMatrixShape | null {
  if (!features.has(SUBGROUP_MATRIX_FEATURE) || !features.has('shader-f16') || !features.has('subgroups')) return null;
  const size = info.subgroupMaxSize ?? 0;
  if (!size || info.subgroupMinSize !== size) return null;
  const fits = (n: number) => n === 8 || n === 16;
  const c = (info.subgroupMatrixConfigs ?? []).find((c) => c.componentType === 'f16' && c.resultComponentType === 'f32' && fits(c.M) && fits(c.N) && fits(c.K));
  return c ? { M: c.M, N: c.N, K: c.K, subgroupSize: size, subgroupId: wgslFeatures.has('subgroup_id') } : null;
}

export interface GpuOptions {
  /** `navigator.gpu` by default; Node passes Dawn's `GPU` object. */
  gpu?: GPU;
  /** The largest storage binding the model cannot split, and what it is (for the error message). */
  neededBinding?: { bytes: number; what: string; fix: string };
  powerPreference?: GPUPowerPreference;
  /**
   * Pretend the adapter allows at most this many bytes per binding: lets tests exercise the
   * split-tensor path on small models.
   */
  capBindingBytes?: number;
}

/**
 * Requests an adapter and a device with the largest buffer limits the adapter offers, and the
 * optional features that make kernels faster. Fails with a precise error before anything is allocated.
 */
/** The adapter's largest storage binding (what one buffer may hold), or null without WebGPU. */
export async function adapterBindingLimit(gpu?: GPU): Promise<number | null> {
  const g = gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  const adapter = await g?.requestAdapter({ powerPreference: 'high-performance' });
  return adapter ? Math.min(adapter.limits.maxStorageBufferBindingSize, adapter.limits.maxBufferSize) : null;
}

export async function createGpu(options: GpuOptions = {}): Promise<GpuContext> {
  const gpu = options.gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    throw new WebGpuUnavailableError(
      'WebGPU is not available here. Use a recent Chrome or Edge (113+), or Firefox/Safari with WebGPU enabled; ' +
        'pages must be served over https or from localhost.',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new WebGpuUnavailableError(
      'WebGPU is present but no GPU adapter was offered: the GPU may be blocklisted or hardware acceleration is off. ' +
        'Enable hardware acceleration in the browser settings (or chrome://flags/#enable-unsafe-webgpu).',
    );
  }
  const allowedBinding = Math.min(adapter.limits.maxStorageBufferBindingSize, adapter.limits.maxBufferSize);
  const need = options.neededBinding;
  if (need && need.bytes > allowedBinding) {
    throw new GpuLimitError(`a storage buffer for ${need.what}`, need.bytes, allowedBinding, need.fix);
  }
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean; subgroupMinSize?: number; subgroupMaxSize?: number; subgroupMatrixConfigs?: SubgroupMatrixConfig[] };
  const subgroupMatrix = subgroupMatrixShape(adapter.features, info, gpu.wgslLanguageFeatures);
  const features: GPUFeatureName[] = [];
  for (const f of ['shader-f16', 'subgroups', 'timestamp-query'] as GPUFeatureName[]) {
    if (adapter.features.has(f)) features.push(f);
  }
  if (subgroupMatrix) features.push(SUBGROUP_MATRIX_FEATURE);
  const device = await adapter.requestDevice({
    requiredFeatures: features,
    requiredLimits: {
      maxStorageBufferBindingSize: allowedBinding,
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBuffersPerShaderStage: Math.min(11, adapter.limits.maxStorageBuffersPerShaderStage),
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  const cap = options.capBindingBytes ?? Infinity;
  const described = [info.vendor, info.architecture, info.device, info.description].join(' ').toLowerCase();
  const isFallback = info.isFallbackAdapter === true;
  let rowLanes: number;
  try {
    rowLanes = await subgroupRowLanes(device, info.subgroupMinSize ?? 0);
  } catch (e) {
    device.destroy();
    throw e;
  }
  return {
    device,
    adapterName: [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown GPU',
    hasF16: device.features.has('shader-f16'),
    hasSubgroups: device.features.has('subgroups'),
    subgroupRowLanes: rowLanes,
    hasTimestamps: device.features.has('timestamp-query'),
    subgroupMatrix,
    isCpu: isFallback || /swiftshader|llvmpipe|lavapipe/.test(described),
    maxBindingBytes: Math.min(cap, device.limits.maxStorageBufferBindingSize),
    maxBufferBytes: Math.min(cap, device.limits.maxBufferSize),
    memory: trackBufferMemory(device),
  };
}
