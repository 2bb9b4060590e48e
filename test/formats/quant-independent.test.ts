import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dequantizeRows } from '../../src/formats/numeric.ts';
import { resolveQuantized } from '../../src/formats/quant/resolve.ts';
import type { QuantScheme } from '../../src/formats/quant/scheme.ts';
import { readSafetensors } from '../../src/formats/safetensors.ts';
import { sourceFromPath } from '../../src/formats/source-node.ts';
import type { WeightDtype } from '../../src/formats/dtypes.ts';

/**
 * Quantized checkpoints packed by a Python writer (standard library only) that follows the tools' own
 * packing code, read through the runtime's repacking: every dequantized value must equal the one
 * Python computed from the integers and scales it packed, exactly (all are exact in float64).
 */
const hasPython = spawnSync('python3', ['--version']).status === 0;

/**
 * File, its scheme, the runtime type it must become where that is a choice, and the relative error
 * allowed (0: exact; LLM.int8's scale SCB / 127 is kept as one f32). Act-order GPTQ files (ACT_ORDER)
 * must come with a column order, the others without.
 */
const ACT_ORDER = new Set(['gptq_act', 'gptq_int8']);
const CASES: [string, QuantScheme, WeightDtype?, number?][] = [
  ['gptq_sym', { method: 'gptq', bits: 4, groupSize: 128, zeroOffset: 1 }],
  ['gptq_act', { method: 'gptq', bits: 4, groupSize: 32, zeroOffset: 1 }],
  ['gptq_v2', { method: 'gptq', bits: 4, groupSize: 64, zeroOffset: 0 }],
  ['awq', { method: 'awq', groupSize: 64 }],
  ['ct_int4', { method: 'ct-packed', bits: 4, groupSize: 128 }],
  ['gptq_int8', { method: 'gptq', bits: 8, groupSize: 32, zeroOffset: 1 }, 'q8z_32'],
  ['gptq_int8_sym', { method: 'gptq', bits: 8, groupSize: 128, zeroOffset: 1 }, 'q8z_128'],
  ['ct_int8', { method: 'ct-packed', bits: 8, groupSize: -1 }, 'q8z_128'],
  ['fp8_block', { method: 'fp8-block', blockRows: 128, blockCols: 128 }],
  ['fp8_channel', { method: 'fp8-scaled', strategy: 'channel', blockRows: 0, blockCols: 0 }],
  ['fp8_tensor', { method: 'fp8-scaled', strategy: 'tensor', blockRows: 0, blockCols: 0 }],
  ['int8_channel', { method: 'int8-scaled', strategy: 'channel' }],
  ['bnb_nf4', { method: 'bnb-4bit' }, 'nf4_64'],
  ['bnb_nf4_plain', { method: 'bnb-4bit' }, 'nf4_64'],
  ['bnb_fp4', { method: 'bnb-4bit' }, 'fp4_64'],
  ['bnb_fp4_nested', { method: 'bnb-4bit' }, 'fp4_64'],
  ['bnb_int8', { method: 'bnb-int8' }, 'i8_128', 2 ** -24],
  // BF16 scales and biases from 2^-14 up are normal f16 values: kept in f16. F32 ones that are not stay f32.
  ['mlx_4bit', { method: 'mlx', bits: 4, groupSize: 64, layers: {} }, 'q4ah_64'],
  ['mlx_8bit', { method: 'mlx', bits: 8, groupSize: 32, layers: {} }, 'q8ah_32'],
  ['mlx_3bit', { method: 'mlx', bits: 3, groupSize: 64, layers: {} }, 'q3ah_64'],
  ['mlx_5bit', { method: 'mlx', bits: 5, groupSize: 32, layers: {} }, 'q5ah_32'],
  ['mlx_6bit', { method: 'mlx', bits: 6, groupSize: 128, layers: {} }, 'q6ah_128'],
  ['mlx_2bit', { method: 'mlx', bits: 2, groupSize: 64, layers: {} }, 'q2ah_64'],
  ['mlx_6bit_f32', { method: 'mlx', bits: 6, groupSize: 32, layers: {} }, 'q6a_32'],
  // A BF16 bias that would be an f16 subnormal (which some GPUs flush): f32 for that tensor.
  ['mlx_4bit_tiny_bias', { method: 'mlx', bits: 4, groupSize: 32, layers: {} }, 'q4a_32'],
];

describe.skipIf(!hasPython)('quantized checkpoints written by Python, dequantized by us', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'r1-quant-'));
  execFileSync('python3', [fileURLToPath(new URL('../fixtures/formats/write_quantized.py', import.meta.url)), out]);
  const expected = JSON.parse(readFileSync(path.join(out, 'expected.json'), 'utf8')) as Record<string, number[]>;

  for (const [file, scheme, dtype, tol = 0] of CASES) {
    it(`${file}: every value ${tol ? `within ${tol.toExponential(1)}` : 'exact'}`, async () => {
      const st = await readSafetensors(await sourceFromPath(path.join(out, `${file}.safetensors`)));
      const tensors = await resolveQuantized(new Map(st.tensors.map((t) => [t.name, t])), scheme);
      expect([...tensors.keys()]).toEqual(['model.layers.0.mlp.up_proj.weight']);
      const t = tensors.get('model.layers.0.mlp.up_proj.weight')!;
      if (dtype) expect(t.dtype).toBe(dtype);
      const [rows, cols] = t.shape;
      const stored = dequantizeRows(t.dtype as WeightDtype, await t.source.read(0, t.byteLength), rows, cols);
      const got = new Float64Array(stored.length);
      const order = t.columnOrder;
      for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) got[r * cols + (order ? order[k] : k)] = stored[r * cols + k];
      expect(order !== undefined).toBe(ACT_ORDER.has(file));
      if (tol === 0) expect(Array.from(got)).toEqual(expected[file]);
      else expect(Math.max(...Array.from(got, (g, i) => Math.abs(g - expected[file][i]) / (Math.abs(expected[file][i]) || 1)))).toBeLessThanOrEqual(tol);
    });
  }
});
