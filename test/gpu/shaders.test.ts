import { describe, expect, it } from 'vitest';
import { STEP_LAYOUT } from '../../src/gpu/dispatch.ts';
import { preprocess, shaderFile, variantName } from '../../src/gpu/shader-source.ts';
import { packUniforms, type UniformLayout } from '../../src/gpu/uniforms.ts';
import { ATTENTION_PARAMS } from '../../src/kernels/attention.ts';
import { EMBEDDING_PARAMS } from '../../src/kernels/embedding.ts';
import { MATMUL_PARAMS } from '../../src/kernels/matmul.ts';
import { RMSNORM_PARAMS } from '../../src/kernels/norm.ts';
import { ROPE_PARAMS } from '../../src/kernels/rope.ts';
import { SAMPLE_PARAMS } from '../../src/kernels/sample.ts';
import { ROUNDING_PARAMS } from '../../src/kernels/activation-rounding.ts';
import { SILU_MUL_PARAMS } from '../../src/kernels/silu-mul.ts';

/** Fields of `struct Name { a: u32, b: f32, ... }` in a WGSL source, in order. */
function structFields(src: string, name: string): [string, string][] {
  const m = src.match(new RegExp(`struct ${name} \\{([^}]*)\\}`));
  if (!m) throw new Error(`no struct ${name}`);
  return m[1]
    .split('\n')
    .map((l) => l.replace(/\/\/.*$/, '').trim())
    .filter(Boolean)
    .map((l) => {
      const f = l.match(/^(\w+)\s*:\s*(\w+),?$/);
      if (!f) throw new Error(`unparsed field line: ${l}`);
      return [f[1], f[2]];
    });
}

const LAYOUTS: [string, UniformLayout][] = [
  ['matmul.wgsl', MATMUL_PARAMS],
  ['rmsnorm.wgsl', RMSNORM_PARAMS],
  ['rope.wgsl', ROPE_PARAMS],
  ['attention.wgsl', ATTENTION_PARAMS],
  ['elementwise.wgsl', SILU_MUL_PARAMS],
  ['embedding.wgsl', EMBEDDING_PARAMS],
  ['sample.wgsl', SAMPLE_PARAMS],
  ['activation-rounding.wgsl', ROUNDING_PARAMS],
];

describe('uniform layouts', () => {
  for (const [file, layout] of LAYOUTS) {
    it(`${file} struct Params matches its TypeScript descriptor`, () => {
      expect(structFields(shaderFile(file), 'Params')).toEqual(layout.map(([n, t]) => [n, t]));
    });
  }
  it('every shader that declares Step matches STEP_LAYOUT', () => {
    for (const [file] of LAYOUTS) {
      const src = shaderFile(file);
      if (src.includes('struct Step')) expect(structFields(src, 'Step'), file).toEqual(STEP_LAYOUT.map(([n, t]) => [n, t]));
    }
  });
  it('packs fields in order, floats as f32, and rejects non-u32 values', () => {
    const buf = new DataView(packUniforms([['a', 'u32'], ['b', 'f32'], ['c', 'i32']], { a: 7, b: 0.5, c: -3 }));
    expect(buf.byteLength).toBe(16);
    expect([buf.getUint32(0, true), buf.getFloat32(4, true), buf.getInt32(8, true)]).toEqual([7, 0.5, -3]);
    expect(() => packUniforms([['a', 'u32']], { a: -1 })).toThrow(/not a u32/);
    expect(() => packUniforms([['a', 'u32']], {})).toThrow(/a is undefined/);
  });
});

describe('shader preprocessing', () => {
  it('keeps the chosen weight decoder only and adds numeric constants', () => {
    const src = preprocess('matmul.wgsl', { WEIGHT_Q4_0: true, HAS_BIAS: false, WG: 64 });
    expect(src).toContain('const WG: u32 = 64u;');
    expect(src).toContain('(k >> 5u) * 18u');
    expect(src).not.toContain('(k >> 5u) * 34u');
    expect(src).not.toContain('var<storage, read> bias');
    expect(src).not.toMatch(/^#/m);
  });
  it('puts enable directives first, before the constants (WGSL requires it)', () => {
    const src = preprocess('matmul.wgsl', { WEIGHT_Q4_0: true, SUBGROUPS: true, TPR: 4, WG: 64 }).split('\n');
    expect(src[0]).toBe('enable subgroups;');
    expect(src.filter((l) => l.startsWith('enable'))).toHaveLength(1);
    expect(src.indexOf('const TPR: u32 = 4u;')).toBeGreaterThan(0);
    expect(preprocess('matmul.wgsl', { WEIGHT_Q4_0: true, TPR: 4, WG: 64 })).not.toContain('enable subgroups');
  });
  it('puts requires directives with the enables, before the constants', () => {
    const src = preprocess('matmul.wgsl', { WEIGHT_F32: true, SGMAT: true, SG_ID: true, SG_GRID: 2, TPR: 1, WG: 64 }).split('\n');
    const requires = src.indexOf('requires subgroup_id;');
    expect(requires).toBeGreaterThan(0);
    expect(src.slice(0, requires).every((l) => l.startsWith('enable'))).toBe(true);
    expect(src.indexOf('const SG_GRID: u32 = 2u;')).toBeGreaterThan(requires);
  });
  it('names variants after their defines, the pipeline cache key', () => {
    expect(variantName('matmul.wgsl', 'gemv', { WEIGHT_Q8_0: true, HAS_BIAS: false, WG: 64 })).toBe('matmul_gemv_weight_q8_0_wg64');
  });
});
