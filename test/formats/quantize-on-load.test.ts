import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/formats/errors.ts';
import { f32ToBf16, quantizeF8E4M3_128, quantizeQ4_0, quantizeQ8_0 } from '../../src/formats/numeric.ts';
import { quantizeOnLoad, type QuantizeMode } from '../../src/formats/quant/on-load.ts';
import { readSafetensors } from '../../src/formats/safetensors.ts';
import { writeSafetensors } from '../../src/formats/safetensors-writer.ts';
import { sourceFromBytes } from '../../src/formats/source.ts';
import { Rng } from '../../scripts/lib/random.ts';

describe('quantize on load', async () => {
  const rng = new Rng(77);
  const values = (n: number) => Float32Array.from(f32ToBf16(rng.normals(n)), (b) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]);
  const embed = values(10 * 128);
  const up = values(6 * 128);
  const odd = values(3 * 96);
  const norm = values(128);
  const bf16 = (v: Float32Array) => new Uint8Array(f32ToBf16(v).buffer);
  const file = writeSafetensors([
    { name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [10, 128], data: bf16(embed) },
    { name: 'model.layers.0.mlp.up_proj.weight', dtype: 'BF16', shape: [6, 128], data: bf16(up) },
    { name: 'model.layers.0.mlp.down_proj.weight', dtype: 'BF16', shape: [3, 96], data: bf16(odd) },
    { name: 'model.norm.weight', dtype: 'BF16', shape: [128], data: bf16(norm) },
  ]);
  const st = await readSafetensors(sourceFromBytes(file, 'model.safetensors'));
  const tensors = new Map(st.tensors.map((t) => [t.name, t]));

  const read = async (m: Map<string, (typeof st.tensors)[number]>, name: string) => {
    const t = m.get(name)!;
    return { dtype: t.dtype, bytes: await t.source.read(t.offset, t.byteLength) };
  };

  it.each([
    ['q4', 'q4_0', quantizeQ4_0],
    ['fp8', 'f8e4m3_128', quantizeF8E4M3_128],
  ] as const)('%s: Linear rows become %s, the embedding Q8_0, vectors stay', async (mode, linear, encode) => {
    const q = quantizeOnLoad(tensors, mode as QuantizeMode);
    expect(await read(q, 'model.layers.0.mlp.up_proj.weight')).toEqual({ dtype: linear, bytes: encode(up) });
    expect(await read(q, 'model.embed_tokens.weight')).toEqual({ dtype: 'q8_0', bytes: quantizeQ8_0(embed) });
    expect((await read(q, 'model.norm.weight')).dtype).toBe('bf16');
    // 96 values are not whole FP8 blocks of 128: that matrix goes to Q8_0 instead (Q4_0 takes it).
    expect((await read(q, 'model.layers.0.mlp.down_proj.weight')).dtype).toBe(mode === 'q4' ? 'q4_0' : 'q8_0');
  });

  it('reads any byte range of the quantized rows, one row at a time or across rows', async () => {
    const t = quantizeOnLoad(tensors, 'q4').get('model.layers.0.mlp.up_proj.weight')!;
    const whole = quantizeQ4_0(up);
    expect(await t.source.read(70, 50)).toEqual(whole.subarray(70, 120));
  });

  it('refuses an unknown mode by name', () => {
    expect(() => quantizeOnLoad(tensors, 'int3' as QuantizeMode)).toThrow(FormatError);
    expect(() => quantizeOnLoad(tensors, 'int3' as QuantizeMode)).toThrow(/"int3" is not a quantization \(q4 or fp8\)/);
  });
});
