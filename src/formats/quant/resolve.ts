import { BNB_4BIT_CODES, isBnb4BitCode, type Bnb4BitCode } from '../dtypes.ts';
import { FormatError } from '../errors.ts';
import type { TensorEntry } from '../tensor.ts';
import { repackAffine } from './mlx.ts';
import { bnb4BitState, repackBnb4Bit } from './bnb-4bit.ts';
import { repack8Bit } from './scaled8.ts';
import { expectShape, partError, readInts } from './parts.ts';
import { repackZeroPoint } from './zero-point.ts';
import type { QuantScheme } from './scheme.ts';

/** The part that marks a quantized Linear, per method. */
const MARKERS: Record<Exclude<QuantScheme['method'], 'bnb-4bit'>, string> = {
  'fp8-block': '.weight_scale_inv',
  'fp8-scaled': '.weight_scale',
  'int8-scaled': '.weight_scale',
  gptq: '.qweight',
  awq: '.qweight',
  'ct-packed': '.weight_packed',
  'bnb-int8': '.SCB',
  mlx: '.biases',
};
/** bitsandbytes 4-bit Linears are marked by their quant state, whose name ends in their own code (as transformers reads them). */
const BNB_4BIT_STATE = /\.weight\.quant_state\.bitsandbytes__(\w+)$/;

interface QuantizedLinear {
  prefix: string;
  marker: string;
  /** bitsandbytes 4-bit: the code its quant state's name gives. */
  code?: string;
}

function quantizedLinears(names: string[], scheme: QuantScheme): QuantizedLinear[] {
  if (scheme.method === 'bnb-4bit') {
    return names.flatMap((n) => {
      const m = BNB_4BIT_STATE.exec(n);
      return m ? [{ prefix: n.slice(0, m.index), marker: m[0], code: m[1] }] : [];
    });
  }
  const marker = MARKERS[scheme.method];
  return names.filter((n) => n.endsWith(marker)).map((n) => ({ prefix: n.slice(0, -marker.length), marker }));
}

/**
 * Replaces each quantized Linear's pieces (packed weights, scales, zeros, group indices) by one
 * `<prefix>.weight` entry in a runtime layout, read on demand; every other tensor passes through.
 */
export async function resolveQuantized(tensors: ReadonlyMap<string, TensorEntry>, scheme: QuantScheme | null): Promise<Map<string, TensorEntry>> {
  const out = new Map(tensors);
  if (!scheme) return out;
  const linears = quantizedLinears([...tensors.keys()], scheme);
  if (linears.length === 0) {
    const markers = scheme.method === 'bnb-4bit' ? BNB_4BIT_CODES.map(bnb4BitState) : [MARKERS[scheme.method]];
    throw new FormatError('config.json', `quantization_config says ${scheme.method}, but no tensor ends in ${markers.map((m) => `"${m}"`).join(' or ')}`);
  }
  const other = linears.find((l) => l.code !== undefined && !isBnb4BitCode(l.code));
  if (other) throw partError(tensors.get(other.prefix + other.marker)!, `is a bitsandbytes ${other.code} quant state: only ${BNB_4BIT_CODES.join(' and ')} are supported`);
  for (const { prefix, marker, code } of linears) {
    const part = (suffix: string, required = true): TensorEntry | undefined => {
      const t = out.get(prefix + suffix);
      if (!t && required) throw new FormatError(tensors.get(prefix + marker)!.source.name, `"${prefix}${marker}" comes without "${prefix}${suffix}"`);
      out.delete(prefix + suffix);
      return t;
    };
    const name = `${prefix}.weight`;
    let entry: TensorEntry;
    switch (scheme.method) {
      case 'fp8-block':
        entry = await repack8Bit(part('.weight')!, { tensor: part('.weight_scale_inv')!, blockRows: scheme.blockRows, blockCols: scheme.blockCols }, 'e4m3');
        break;
      case 'fp8-scaled': {
        const weight = part('.weight')!;
        const tensor = part('.weight_scale')!;
        part('.input_scale', false); // static activation scales: activations stay f32 here
        // Scale blocks as rows x cols; 0 rows: one scale for the tensor; 0 cols: the whole row.
        const [blockRows, blockCols] = { tensor: [0, 0], channel: [1, 0], block: [scheme.blockRows, scheme.blockCols] }[scheme.strategy];
        entry = await repack8Bit(weight, { tensor, blockRows, blockCols }, 'e4m3');
        break;
      }
      case 'int8-scaled': {
        const weight = part('.weight')!;
        const tensor = part('.weight_scale')!;
        part('.input_scale', false); // static activation scales: activations stay f32 here
        entry = await repack8Bit(weight, { tensor, blockRows: scheme.strategy === 'channel' ? 1 : 0, blockCols: 0 }, 'int8');
        break;
      }
      case 'gptq':
      case 'awq':
        entry = await repackZeroPoint(name, {
          ...(scheme.method === 'gptq'
            ? { packing: 'gptq', bits: scheme.bits, groupIndex: part('.g_idx', false), zeroOffset: scheme.zeroOffset }
            : { packing: 'awq', bits: 4, zeroOffset: 0 }),
          packed: part('.qweight')!,
          zeros: part('.qzeros')!,
          scales: part('.scales')!,
          groupSize: scheme.groupSize,
        });
        break;
      case 'ct-packed': {
        const packed = part('.weight_packed')!;
        const shapeT = part('.weight_shape')!;
        const shape = await readInts(shapeT);
        if (shape.length !== 2 || !shape.every((d) => d > 0)) throw partError(shapeT, `is [${shape}], not a matrix shape`);
        const [rows, cols] = shape as [number, number];
        expectShape(packed, [rows, Math.ceil((cols * scheme.bits) / 32)], `weight_shape [${rows}, ${cols}]`);
        if (out.has(prefix + '.weight_zero_point')) throw partError(packed, 'has zero points (asymmetric), which are not supported');
        entry = await repackZeroPoint(name, {
          packing: 'ct',
          bits: scheme.bits,
          packed,
          scales: part('.weight_scale')!,
          groupIndex: part('.weight_g_idx', false),
          shape: [rows, cols],
          groupSize: scheme.groupSize,
          zeroOffset: 0,
        });
        break;
      }
      case 'bnb-4bit':
        entry = await repackBnb4Bit({
          code: code as Bnb4BitCode,
          packed: part('.weight')!,
          state: part(marker)!,
          absmax: part('.weight.absmax')!,
          quantMap: part('.weight.quant_map')!,
          nestedAbsmax: part('.weight.nested_absmax', false),
          nestedQuantMap: part('.weight.nested_quant_map', false),
        });
        break;
      case 'bnb-int8': {
        const weight = part('.weight')!;
        const scb = part('.SCB')!;
        const format = part('.weight_format', false);
        // bitsandbytes saves rows as they are (format 0, "row"); older GPU-tiled layouts are not files it writes now.
        if (format && format.shape.reduce((a, b) => a * b, 1) !== 1) throw partError(format, `has shape [${format.shape}], not one value`);
        if (format && (await readInts(format))[0] !== 0) throw partError(format, 'is not 0 ("row"): only row-major bitsandbytes 8-bit weights are supported');
        if (weight.shape.length !== 2) throw partError(weight, `has shape [${weight.shape}]: 8-bit weights are matrices`);
        const rows = weight.shape[0];
        expectShape(scb, [rows], `an 8-bit weight of ${rows} rows (one max|w| a row)`);
        // SCB is each row's max|w|; a code's weight is code * SCB / 127. Seen as [rows, 1], the shape
        // of per-channel scales.
        entry = await repack8Bit(weight, { tensor: { ...scb, shape: [rows, 1] }, blockRows: 1, blockCols: 0, divisor: 127 }, 'int8');
        break;
      }
      case 'mlx': {
        const own = Object.hasOwn(scheme.layers, prefix) ? scheme.layers[prefix] : undefined;
        const weight = part('.weight')!;
        if (own === false) throw partError(weight, `has MLX scales and biases, but config.json's quantization leaves ${prefix} unquantized`);
        entry = await repackAffine({ weight, scales: part('.scales')!, biases: part('.biases')!, ...(own ?? { bits: scheme.bits, groupSize: scheme.groupSize }) });
        break;
      }
    }
    out.set(name, entry);
  }
  return out;
}
