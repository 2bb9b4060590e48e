import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/formats/errors.ts';
import { resolveQuantized } from '../../src/formats/quant/resolve.ts';
import { activationRoundingOf, quantSchemeOf, quantSchemeOfFolder } from '../../src/formats/quant/scheme.ts';
import { readSafetensors } from '../../src/formats/safetensors.ts';
import { writeSafetensors, type SafetensorsWriteTensor } from '../../src/formats/safetensors-writer.ts';
import { sourceFromBytes } from '../../src/formats/source.ts';
import { FP4_VALUES, NF4_VALUES } from '../../src/formats/numeric.ts';

const ct = (weights: Record<string, unknown>, format = 'pack-quantized') => ({
  quantization_config: { quant_method: 'compressed-tensors', format, config_groups: { group_0: { targets: ['Linear'], weights } } },
});

describe('quantization_config', () => {
  it('reads the supported methods', () => {
    expect(quantSchemeOf({})).toBeNull();
    expect(quantSchemeOf({ quantization_config: { quant_method: 'fp8', fmt: 'e4m3', weight_block_size: [128, 128] } })).toEqual({ method: 'fp8-block', blockRows: 128, blockCols: 128 });
    // AutoFP8 / vLLM: one weight_scale per tensor.
    expect(quantSchemeOf({ quantization_config: { quant_method: 'fp8', activation_scheme: 'static' } })).toEqual({ method: 'fp8-scaled', strategy: 'tensor', blockRows: 0, blockCols: 0 });
    expect(quantSchemeOf({ quantization_config: { quant_method: 'gptq', bits: 4, group_size: 128, desc_act: true, sym: false } })).toEqual({ method: 'gptq', bits: 4, groupSize: 128, zeroOffset: 1 });
    expect(quantSchemeOf({ quantization_config: { quant_method: 'gptq', bits: 4, group_size: -1, checkpoint_format: 'gptq_v2' } })).toEqual({ method: 'gptq', bits: 4, groupSize: -1, zeroOffset: 0 });
    expect(quantSchemeOf({ quantization_config: { quant_method: 'awq', bits: 4, group_size: 128, version: 'GEMM', zero_point: true } })).toEqual({ method: 'awq', groupSize: 128 });
    expect(quantSchemeOf(ct({ num_bits: 4, type: 'int', strategy: 'group', group_size: 128, symmetric: true }))).toEqual({ method: 'ct-packed', bits: 4, groupSize: 128 });
    // llm-compressor's W8A16 (8-bit weights, 16-bit activations), and GPTQ-Int8 uploads.
    expect(quantSchemeOf(ct({ num_bits: 8, type: 'int', strategy: 'channel', symmetric: true }))).toEqual({ method: 'ct-packed', bits: 8, groupSize: -1 });
    expect(quantSchemeOf({ quantization_config: { quant_method: 'gptq', bits: 8, group_size: 128, desc_act: false, sym: true } })).toEqual({ method: 'gptq', bits: 8, groupSize: 128, zeroOffset: 1 });
    expect(quantSchemeOf(ct({ num_bits: 8, type: 'float', strategy: 'channel', symmetric: true }, 'float-quantized'))).toEqual({ method: 'fp8-scaled', strategy: 'channel', blockRows: 0, blockCols: 0 });
    expect(quantSchemeOf(ct({ num_bits: 8, type: 'float', strategy: 'block', block_structure: [128, 128] }, 'float-quantized'))).toEqual({ method: 'fp8-scaled', strategy: 'block', blockRows: 128, blockCols: 128 });
    expect(quantSchemeOf(ct({ num_bits: 8, type: 'int', strategy: 'channel', symmetric: true }, 'int-quantized'))).toEqual({ method: 'int8-scaled', strategy: 'channel' });
    // transformers' BitsAndBytesConfig as saved (unsloth's bnb-4bit uploads), with and without the underscored keys.
    expect(quantSchemeOf({ quantization_config: { quant_method: 'bitsandbytes', _load_in_4bit: true, bnb_4bit_quant_type: 'nf4', bnb_4bit_quant_storage: 'uint8' } })).toEqual({ method: 'bnb-4bit' });
    expect(quantSchemeOf({ quantization_config: { quant_method: 'bitsandbytes', load_in_4bit: true, bnb_4bit_quant_type: 'nf4' } })).toEqual({ method: 'bnb-4bit' });
    // FP4 is transformers' default 4-bit type; each Linear's quant state says which it is.
    expect(quantSchemeOf({ quantization_config: { quant_method: 'bitsandbytes', load_in_4bit: true } })).toEqual({ method: 'bnb-4bit' });
    expect(quantSchemeOf({ quantization_config: { quant_method: 'bitsandbytes', load_in_4bit: true, bnb_4bit_quant_type: 'fp4' } })).toEqual({ method: 'bnb-4bit' });
    // Older saves have no quant_method: transformers takes load_in_4bit as bitsandbytes all the same.
    expect(quantSchemeOf({ quantization_config: { load_in_4bit: true, bnb_4bit_quant_type: 'nf4' } })).toEqual({ method: 'bnb-4bit' });
    // LLM.int8 (load_in_8bit), with or without a quant_method.
    expect(quantSchemeOf({ quantization_config: { load_in_8bit: true } })).toEqual({ method: 'bnb-int8' });
    expect(quantSchemeOf({ quantization_config: { quant_method: 'bitsandbytes', _load_in_8bit: true, llm_int8_threshold: 6.0 } })).toEqual({ method: 'bnb-int8' });
    // mlx-lm: `quantization`, repeated (newer versions) as a quantization_config without quant_method.
    const mlx = { group_size: 64, bits: 4, 'model.layers.0.mlp.down_proj': { group_size: 32, bits: 8 }, lm_head: false };
    const want = { method: 'mlx', bits: 4, groupSize: 64, layers: { 'model.layers.0.mlp.down_proj': { bits: 8, groupSize: 32 }, lm_head: false } };
    expect(quantSchemeOf({ quantization: mlx })).toEqual(want);
    expect(quantSchemeOf({ quantization: mlx, quantization_config: mlx })).toEqual(want);
    expect(quantSchemeOf({ quantization_config: { group_size: 128, bits: 8, mode: 'affine' } })).toEqual({ method: 'mlx', bits: 8, groupSize: 128, layers: {} });
    // Every width mlx.core.quantize makes: 2, 3, 4, 5, 6 and 8 bits (mlx-community's 3bit / 6bit uploads).
    for (const bits of [2, 3, 5, 6]) expect(quantSchemeOf({ quantization: { group_size: 64, bits } })).toEqual({ method: 'mlx', bits, groupSize: 64, layers: {} });
  });

  it.each([
    [{ group_size: 64, bits: 7 }, /quantization: MLX 7-bit weights are not supported \(2, 3, 4, 5, 6, 8 bits\)/],
    [{ group_size: 32, bits: 4, mode: 'mxfp4' }, /MLX mode "mxfp4" is not supported/],
    [{ group_size: 16, bits: 4 }, /MLX group size 16 is not supported/],
    [{ group_size: 64, bits: 4, 'model.layers.3.mlp.down_proj': { group_size: 64, bits: 1 } }, /model\.layers\.3\.mlp\.down_proj: MLX 1-bit weights/],
  ])('refuses MLX settings %j by name', (q, message) => {
    expect(() => quantSchemeOf({ quantization: q })).toThrow(message);
  });

  it('takes a quantization_config without quant_method for MLX only when it has MLX shape', () => {
    expect(() => quantSchemeOf({ quantization_config: { bits: 4, group_size: 128, desc_act: false, sym: true } })).toThrow(/quant_method "undefined" is not supported/);
    // A stray `quantization` key that is not MLX's leaves a real quantization_config in charge.
    expect(quantSchemeOf({ quantization: 'none', quantization_config: { quant_method: 'awq', bits: 4, group_size: 64, version: 'gemm', zero_point: true } })).toEqual({ method: 'awq', groupSize: 64 });
  });

  it.each([
    [{ quant_method: 'bitsandbytes', load_in_4bit: true, bnb_4bit_quant_type: 'af4' }, /bitsandbytes 4-bit type "af4" is not supported \(nf4 or fp4\)/],
    [{ quant_method: 'bitsandbytes', load_in_4bit: true, bnb_4bit_quant_type: null }, /bitsandbytes 4-bit type null is not supported/],
    [{ quant_method: 'bitsandbytes', load_in_8bit: true, llm_int8_has_fp16_weight: true }, /llm_int8_has_fp16_weight/],
    [{ quant_method: 'bitsandbytes', load_in_8bit: true, llm_int8_threshold: -1 }, /llm_int8_threshold -1 is not a number of 0 or more/],
    [{ quant_method: 'bitsandbytes', load_in_8bit: true, llm_int8_threshold: '6' }, /llm_int8_threshold "6"/],
    [{ quant_method: 'bitsandbytes', load_in_4bit: true, bnb_4bit_quant_type: 'nf4', bnb_4bit_quant_storage: 'bfloat16' }, /stored as bfloat16 are not supported/],
    [{ quant_method: 'bitsandbytes' }, /without load_in_4bit or load_in_8bit/],
    [{ quant_method: 'hqq' }, /quant_method "hqq" is not supported/],
    [{ quant_method: 'gptq', bits: 3, group_size: 128 }, /GPTQ with 3-bit weights is not supported \(4- and 8-bit\)/],
    [{ quant_method: 'gptq', bits: 4, group_size: 100 }, /group size 100 is not supported/],
    [{ quant_method: 'gptq', bits: 4, group_size: 128, checkpoint_format: 'marlin' }, /checkpoint_format "marlin"/],
    [{ quant_method: 'awq', bits: 4, group_size: 128, version: 'gemv' }, /AWQ version "gemv" is not supported/],
    [{ quant_method: 'fp8', fmt: 'e5m2', weight_block_size: [128, 128] }, /only e4m3/],
    [{ quant_method: 'fp8', fmt: 'e4m3', weight_block_size: [128] }, /weight_block_size \[128\] is not \[rows, cols\]/],
    [{ quant_method: 'fp8', fmt: 'e4m3', weight_block_size: [128, 64] }, /multiples of 128/],
    [ct({ num_bits: 2, type: 'int', strategy: 'channel', symmetric: true }).quantization_config, /pack-quantized int weights of 2 bits/],
    [ct({ num_bits: 4, type: 'int', strategy: 'channel', symmetric: true }, 'int-quantized').quantization_config, /int-quantized int weights of 4 bits are not supported \(8-bit int only\)/],
    [ct({ num_bits: 8, type: 'int', strategy: 'group', group_size: 128, symmetric: true }, 'int-quantized').quantization_config, /INT8 strategy "group" is not supported/],
    [ct({ num_bits: 4, type: 'int', strategy: 'group', group_size: 128, symmetric: false }).quantization_config, /asymmetric/],
    [ct({ num_bits: 4, type: 'int', strategy: 'group', group_size: 128 }, 'marlin-24').quantization_config, /format "marlin-24" is not supported/],
    ['yes', /is not an object/],
  ])('refuses %j by name', (q, message) => {
    expect(() => quantSchemeOf({ quantization_config: q })).toThrow(FormatError);
    expect(() => quantSchemeOf({ quantization_config: q })).toThrow(message);
  });
});

describe('activation rounding of W8A8 checkpoints (FP8, INT8)', () => {
  const act = (input_activations: Record<string, unknown> | null) =>
    ({ quantization_config: { quant_method: 'compressed-tensors', format: 'float-quantized', config_groups: { group_0: { targets: ['Linear'], weights: { num_bits: 8, type: 'float', strategy: 'channel' }, input_activations } } } });
  it('per token or per group when dynamic, as the checkpoint says', () => {
    expect(activationRoundingOf(act({ num_bits: 8, type: 'float', strategy: 'token', symmetric: true, dynamic: true }))).toEqual({ format: 'e4m3', group: 0 });
    expect(activationRoundingOf(act({ num_bits: 8, type: 'float', strategy: 'group', group_size: 128, dynamic: true }))).toEqual({ format: 'e4m3', group: 128 });
    expect(activationRoundingOf({ quantization_config: { quant_method: 'fp8', activation_scheme: 'dynamic', weight_block_size: [128, 128] } })).toEqual({ format: 'e4m3', group: 128 });
  });
  it('INT8 per token when dynamic and symmetric, as vLLM runs RedHatAI quantized.w8a8 checkpoints', () => {
    const int8 = (input_activations: Record<string, unknown>) =>
      ({ quantization_config: { quant_method: 'compressed-tensors', format: 'int-quantized', config_groups: { group_0: { targets: ['Linear'], weights: { num_bits: 8, type: 'int', strategy: 'channel' }, input_activations } } } });
    expect(activationRoundingOf(int8({ num_bits: 8, type: 'int', strategy: 'token', symmetric: true, dynamic: true }))).toEqual({ format: 'int8', group: 0 });
    expect(activationRoundingOf(int8({ num_bits: 8, type: 'int', strategy: 'token', symmetric: false, dynamic: true }))).toBeNull();
    expect(activationRoundingOf(int8({ num_bits: 8, type: 'int', strategy: 'tensor', symmetric: true, dynamic: false }))).toBeNull();
  });
  it('INT8 per token but for outliers for bitsandbytes LLM.int8 (threshold 6 unless set; 0: none)', () => {
    expect(activationRoundingOf({ quantization_config: { quant_method: 'bitsandbytes', load_in_8bit: true } })).toEqual({ format: 'int8', group: 0, threshold: 6 });
    expect(activationRoundingOf({ quantization_config: { load_in_8bit: true, llm_int8_threshold: 4.5 } })).toEqual({ format: 'int8', group: 0, threshold: 4.5 });
    expect(activationRoundingOf({ quantization_config: { quant_method: 'bitsandbytes', load_in_8bit: true, llm_int8_threshold: 0 } })).toEqual({ format: 'int8', group: 0 });
    expect(activationRoundingOf({ quantization_config: { quant_method: 'bitsandbytes', load_in_4bit: true, llm_int8_threshold: 6 } })).toBeNull();
  });
  it('weights only for W8A16, static or per-tensor dynamic input scales, and unquantized models', () => {
    expect(activationRoundingOf(act(null))).toBeNull();
    expect(activationRoundingOf(act({ num_bits: 8, type: 'float', strategy: 'tensor', dynamic: false }))).toBeNull();
    expect(activationRoundingOf(act({ num_bits: 8, type: 'float', strategy: 'tensor', dynamic: true }))).toBeNull();
    expect(activationRoundingOf({ quantization_config: { quant_method: 'fp8', activation_scheme: 'static' } })).toBeNull();
    expect(activationRoundingOf({ quantization_config: { quant_method: 'fp8', activation_scheme: 'dynamic' } })).toBeNull();
    expect(activationRoundingOf({})).toBeNull();
  });
});

describe('side files of older AutoGPTQ and AutoAWQ folders', () => {
  const folder = (files: Record<string, Record<string, unknown>>) => async (f: string) => files[f] ?? null;
  const packed = ['model.layers.0.mlp.up_proj.qweight', 'model.layers.0.mlp.up_proj.scales'];
  const gptq = { bits: 4, group_size: 128, damp_percent: 0.01, desc_act: false, sym: true, true_sequential: true, model_file_base_name: 'model' };
  it("reads quantize_config.json (AutoGPTQ) and quant_config.json (AutoAWQ) when config.json has no quantization_config", async () => {
    expect(await quantSchemeOfFolder({}, packed, folder({ 'quantize_config.json': gptq }))).toEqual({ method: 'gptq', bits: 4, groupSize: 128, zeroOffset: 1 });
    const awq = { zero_point: true, q_group_size: 128, w_bit: 4, version: 'GEMM' };
    expect(await quantSchemeOfFolder({}, packed, folder({ 'quant_config.json': awq }))).toEqual({ method: 'awq', groupSize: 128 });
    expect(await quantSchemeOfFolder({}, packed, folder({}))).toBeNull();
  });
  it('ignores a leftover side file beside float weights, as transformers does', async () => {
    expect(await quantSchemeOfFolder({}, ['model.layers.0.mlp.up_proj.weight'], folder({ 'quantize_config.json': gptq }))).toBeNull();
  });
  it("config.json's quantization_config wins; a side file's problem names the side file", async () => {
    const side = folder({ 'quantize_config.json': { bits: 2, group_size: 128 } });
    expect(await quantSchemeOfFolder({ quantization_config: { quant_method: 'awq', group_size: 64 } }, packed, side)).toEqual({ method: 'awq', groupSize: 64 });
    await expect(quantSchemeOfFolder({}, packed, side, (f) => `repo/${f}`)).rejects.toThrow(/repo\/quantize_config\.json.*GPTQ with 2-bit weights/);
  });
});

async function tensorsOf(list: SafetensorsWriteTensor[]) {
  const st = await readSafetensors(sourceFromBytes(writeSafetensors(list), 'model.safetensors'));
  return new Map(st.tensors.map((t) => [t.name, t]));
}
const P = 'model.layers.0.self_attn.q_proj';
const f32 = (n: number, v = 0.01) => new Uint8Array(new Float32Array(n).fill(v).buffer);
const fp8 = (n: number, code = 0x38) => new Uint8Array(n).fill(code);

describe('broken quantized tensors end in a clear error', () => {
  const block = { method: 'fp8-block', blockRows: 128, blockCols: 128 } as const;

  it('a scale tensor without its weight', async () => {
    const t = await tensorsOf([{ name: `${P}.weight_scale_inv`, dtype: 'F32', shape: [1, 1], data: f32(1) }]);
    await expect(resolveQuantized(t, block)).rejects.toThrow(`"${P}.weight_scale_inv" comes without "${P}.weight"`);
  });

  it('a config that says FP8 over a model with no FP8 tensors', async () => {
    const t = await tensorsOf([{ name: `${P}.weight`, dtype: 'F32', shape: [1, 128], data: f32(128) }]);
    await expect(resolveQuantized(t, block)).rejects.toThrow(/no tensor ends in ".weight_scale_inv"/);
  });

  it('scales of the wrong shape, NaN scales, and the FP8 NaN code', async () => {
    const wrong = await tensorsOf([
      { name: `${P}.weight`, dtype: 'F8_E4M3', shape: [2, 256], data: fp8(512) },
      { name: `${P}.weight_scale_inv`, dtype: 'F32', shape: [1, 1], data: f32(1) },
    ]);
    await expect(resolveQuantized(wrong, block)).rejects.toThrow(/weight_scale_inv" has shape \[1,1\], but .* implies \[1,2\]/);
    const nanScale = await tensorsOf([
      { name: `${P}.weight`, dtype: 'F8_E4M3', shape: [2, 128], data: fp8(256) },
      { name: `${P}.weight_scale_inv`, dtype: 'F32', shape: [1, 1], data: f32(1, NaN) },
    ]);
    await expect(resolveQuantized(nanScale, block)).rejects.toThrow(/holds a scale that is not finite \(NaN at index 0\)/);
    const nanCode = fp8(256);
    nanCode[128 + 5] = 0xff;
    const nanWeight = await resolveQuantized(
      await tensorsOf([
        { name: `${P}.weight`, dtype: 'F8_E4M3', shape: [2, 128], data: nanCode },
        { name: `${P}.weight_scale_inv`, dtype: 'F32', shape: [1, 1], data: f32(1) },
      ]),
      block,
    );
    const w = nanWeight.get(`${P}.weight`)!;
    await expect(w.source.read(0, w.byteLength)).rejects.toThrow(/FP8 NaN code at row 1, column 5/);
  });

  it('FP8 rows that are not whole 128-value blocks', async () => {
    const t = await tensorsOf([
      { name: `${P}.weight`, dtype: 'F8_E4M3', shape: [2, 64], data: fp8(128) },
      { name: `${P}.weight_scale_inv`, dtype: 'F32', shape: [1, 1], data: f32(1) },
    ]);
    await expect(resolveQuantized(t, block)).rejects.toThrow(/rows of 64 values are not whole 128-value FP8 blocks/);
  });

  it('GPTQ parts that disagree, and packed weights that are not I32', async () => {
    const gptq = { method: 'gptq', bits: 4, groupSize: 32, zeroOffset: 1 } as const;
    const parts = (scales: number[]): SafetensorsWriteTensor[] => [
      { name: `${P}.qweight`, dtype: 'I32', shape: [8, 16], data: new Uint8Array(8 * 16 * 4) },
      { name: `${P}.qzeros`, dtype: 'I32', shape: [2, 2], data: new Uint8Array(16) },
      { name: `${P}.scales`, dtype: 'F16', shape: scales, data: new Uint8Array(scales[0] * scales[1] * 2).fill(0x20) },
    ];
    await expect(resolveQuantized(await tensorsOf(parts([3, 16])), gptq)).rejects.toThrow(/scales" has shape \[3,16\], but a \[16, 64\] matrix in groups of 32 implies \[2,16\]/);
    const noZeros = parts([2, 16]).filter((p) => !p.name.endsWith('qzeros'));
    await expect(resolveQuantized(await tensorsOf(noZeros), gptq)).rejects.toThrow(`"${P}.qweight" comes without "${P}.qzeros"`);
    const asF32 = parts([2, 16]).map((p) => (p.name.endsWith('qweight') ? { ...p, dtype: 'F32' } : p));
    const r = await resolveQuantized(await tensorsOf(asF32), gptq);
    const w = r.get(`${P}.weight`)!;
    await expect(w.source.read(0, w.byteLength)).rejects.toThrow(/qweight" is F32, expected packed I32 words/);
  });

  it('act-order groups that do not fill whole blocks', async () => {
    const gIdx = new Int32Array(64).map((_, i) => (i % 3 === 0 ? 1 : 0));
    const t = await tensorsOf([
      { name: `${P}.qweight`, dtype: 'I32', shape: [8, 16], data: new Uint8Array(8 * 16 * 4) },
      { name: `${P}.qzeros`, dtype: 'I32', shape: [2, 2], data: new Uint8Array(16) },
      { name: `${P}.scales`, dtype: 'F16', shape: [2, 16], data: new Uint8Array(64).fill(0x20) },
      { name: `${P}.g_idx`, dtype: 'I32', shape: [64], data: new Uint8Array(gIdx.buffer) },
    ]);
    await expect(resolveQuantized(t, { method: 'gptq', bits: 4, groupSize: 32, zeroOffset: 1 })).rejects.toThrow(/groups must hold whole blocks of 32/);
  });

  it('bitsandbytes LLM.int8: a weight_format other than row-major, or parts of the wrong shape, are refused by name', async () => {
    const int8 = { method: 'bnb-int8' } as const;
    const parts = (o: { format?: number[]; weightShape?: number[]; scbRows?: number } = {}): SafetensorsWriteTensor[] => [
      { name: `${P}.weight`, dtype: 'I8', shape: o.weightShape ?? [2, 128], data: new Uint8Array(256).fill(3) },
      { name: `${P}.SCB`, dtype: 'F32', shape: [o.scbRows ?? 2], data: f32(o.scbRows ?? 2, 0.5) },
      ...(o.format ? [{ name: `${P}.weight_format`, dtype: 'U8', shape: o.format.length === 1 ? [] : [o.format.length], data: new Uint8Array(o.format) }] : []),
    ];
    const ok = (await resolveQuantized(await tensorsOf(parts({ format: [0] })), int8)).get(`${P}.weight`)!;
    expect([ok.dtype, ok.shape]).toEqual(['i8_128', [2, 128]]);
    await expect(resolveQuantized(await tensorsOf(parts({ format: [1] })), int8)).rejects.toThrow(/weight_format" is not 0 \("row"\)/);
    await expect(resolveQuantized(await tensorsOf(parts({ format: [0, 0] })), int8)).rejects.toThrow(/weight_format" has shape \[2\], not one value/);
    await expect(resolveQuantized(await tensorsOf(parts({ weightShape: [256] })), int8)).rejects.toThrow(/has shape \[256\]: 8-bit weights are matrices/);
    await expect(resolveQuantized(await tensorsOf(parts({ scbRows: 3 })), int8)).rejects.toThrow(/SCB" has shape \[3\]/);
  });

  it('bitsandbytes 4-bit: another quant state, code book or absmax layout is refused by name', async () => {
    const bnb = { method: 'bnb-4bit' } as const;
    const state = (o: Record<string, unknown>) => new TextEncoder().encode(JSON.stringify({ quant_type: 'nf4', blocksize: 64, dtype: 'bfloat16', shape: [2, 64], ...o }));
    const parts = (o: Record<string, unknown> = {}, map: readonly number[] = NF4_VALUES): SafetensorsWriteTensor[] => [
      { name: `${P}.weight`, dtype: 'U8', shape: [64, 1], data: new Uint8Array(64) },
      { name: `${P}.weight.absmax`, dtype: 'F32', shape: [2], data: f32(2) },
      { name: `${P}.weight.quant_map`, dtype: 'F32', shape: [16], data: new Uint8Array(Float32Array.from(map).buffer) },
      { name: `${P}.weight.quant_state.bitsandbytes__nf4`, dtype: 'U8', shape: [state(o).length], data: state(o) },
    ];
    const ok = (await resolveQuantized(await tensorsOf(parts()), bnb)).get(`${P}.weight`)!;
    expect([ok.dtype, ok.shape]).toEqual(['nf4_64', [2, 64]]);
    await expect(resolveQuantized(await tensorsOf(parts({ quant_type: 'fp4' })), bnb)).rejects.toThrow(/quant_type "fp4", but its name says nf4/);
    // The state's name says FP4: FP4's code book, with +0 at code 8 as bitsandbytes saves it (or -0).
    const renamed = (code: string, ps: SafetensorsWriteTensor[]) => ps.map((p) => (p.name.endsWith('__nf4') ? { ...p, name: p.name.replace('__nf4', `__${code}`) } : p));
    const asFp4 = (map: readonly number[]) => renamed('fp4', parts({ quant_type: 'fp4' }, map));
    expect((await resolveQuantized(await tensorsOf(asFp4(FP4_VALUES)), bnb)).get(`${P}.weight`)!.dtype).toBe('fp4_64');
    expect(Object.is(FP4_VALUES[8], 0)).toBe(true);
    expect((await resolveQuantized(await tensorsOf(asFp4(FP4_VALUES.map((v, i) => (i === 8 ? -0 : v)))), bnb)).get(`${P}.weight`)!.dtype).toBe('fp4_64');
    await expect(resolveQuantized(await tensorsOf(asFp4(NF4_VALUES)), bnb)).rejects.toThrow(/holds -1 at index 0, not FP4's 0: a different 4-bit code book/);
    await expect(resolveQuantized(await tensorsOf(renamed('af4', parts({ quant_type: 'af4' }))), bnb)).rejects.toThrow(/is a bitsandbytes af4 quant state: only nf4 and fp4 are supported/);
    // Each Linear by its own state: an NF4 one and an FP4 one in the same file.
    const Q = 'model.layers.0.self_attn.k_proj';
    const mixed = await resolveQuantized(await tensorsOf([...parts(), ...asFp4(FP4_VALUES).map((p) => ({ ...p, name: p.name.replace(P, Q) }))]), bnb);
    expect([mixed.get(`${P}.weight`)!.dtype, mixed.get(`${Q}.weight`)!.dtype]).toEqual(['nf4_64', 'fp4_64']);
    await expect(resolveQuantized(await tensorsOf(parts({ blocksize: 128 })), bnb)).rejects.toThrow(/blocksize 128: only 64 is supported/);
    await expect(resolveQuantized(await tensorsOf(parts({ shape: [4, 64] })), bnb)).rejects.toThrow(/weight" has shape \[64,1\], but an NF4 weight of shape \[4, 64\] implies \[128,1\]/);
    await expect(resolveQuantized(await tensorsOf(parts({}, NF4_VALUES.map((v) => -v))), bnb)).rejects.toThrow(/a different 4-bit code book is not supported/);
    const nested = parts({ nested_blocksize: 256, nested_offset: 0.01 }).map((p) => (p.name.endsWith('absmax') ? { ...p, dtype: 'U8', data: new Uint8Array(2) } : p));
    await expect(resolveQuantized(await tensorsOf([...nested, { name: `${P}.weight.nested_absmax`, dtype: 'F32', shape: [1], data: f32(1) }]), bnb)).rejects.toThrow(
      /is double-quantized, but its nested quant map or nested_blocksize is missing/,
    );
  });
});
