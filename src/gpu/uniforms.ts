/**
 * Uniform layouts are declared once as named fields; `packUniforms` writes them in that order, and a
 * test checks each WGSL `struct` declares the same fields in the same order. All fields are 4 bytes,
 * so WGSL's layout is plain consecutive words (padded to 16 bytes at the end).
 */
export type UniformField = readonly [name: string, type: 'u32' | 'f32' | 'i32'];
export type UniformLayout = readonly UniformField[];

export function packUniforms(layout: UniformLayout, values: Record<string, number>): ArrayBuffer {
  const words = Math.ceil(layout.length / 4) * 4;
  const buf = new ArrayBuffer(words * 4);
  const view = new DataView(buf);
  layout.forEach(([name, type], i) => {
    const v = values[name];
    if (v === undefined || !Number.isFinite(v)) throw new Error(`uniform field ${name} is ${v}`);
    if (type === 'f32') view.setFloat32(i * 4, v, true);
    else if (type === 'i32') view.setInt32(i * 4, v, true);
    else {
      if (v < 0 || v > 0xffffffff || !Number.isInteger(v)) throw new Error(`uniform field ${name} = ${v} is not a u32`);
      view.setUint32(i * 4, v, true);
    }
  });
  return buf;
}

export function createUniformBuffer(
  device: GPUDevice,
  layout: UniformLayout,
  values: Record<string, number>,
  label: string,
): GPUBuffer {
  const data = packUniforms(layout, values);
  const buffer = device.createBuffer({ label, size: data.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}
