import { preprocess, variantName, type Defines } from './shader-source.ts';

/**
 * Compute pipelines cached by variant name: each (file, entry, defines) is compiled once per device,
 * never per token.
 */
export class PipelineCache {
  private readonly cache = new Map<string, GPUComputePipeline>();
  constructor(private readonly device: GPUDevice) {}

  get(file: string, entry: string, defines: Defines = {}): { pipeline: GPUComputePipeline; name: string } {
    const name = variantName(file, entry, defines);
    let pipeline = this.cache.get(name);
    if (!pipeline) {
      const code = preprocess(file, defines);
      const module = this.device.createShaderModule({ label: name, code });
      pipeline = this.device.createComputePipeline({ label: name, layout: 'auto', compute: { module, entryPoint: entry } });
      this.cache.set(name, pipeline);
    }
    return { pipeline, name };
  }
}
