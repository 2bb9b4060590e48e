import { isWeightDtype } from './dtypes.ts';
import { FormatError } from './errors.ts';
import { readJson, type ModelFiles } from './model-files.ts';
import type { ByteSource } from './source.ts';
import type { TensorEntry } from './tensor.ts';

/**
 * safetensors reader: u64 header length, a JSON header {name: {dtype, shape, data_offsets}}, then
 * the data. Sharded checkpoints list their files in model.safetensors.index.json (`weight_map`).
 */
const ITEM_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8, C64: 8,
};

/** Headers above this are refused (the format's own limit). */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsFile {
  tensors: TensorEntry[];
  metadata: Record<string, string>;
}

export async function readSafetensors(src: ByteSource): Promise<SafetensorsFile> {
  const fail = (problem: string): never => {
    throw new FormatError(src.name, problem);
  };
  if (src.size < 8) fail(`is ${src.size} bytes long: too short to be a safetensors file`);
  const headerLen = new DataView((await src.read(0, 8)).slice().buffer).getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER_BYTES)) fail(`claims a ${headerLen}-byte header (at most ${MAX_HEADER_BYTES}): not a safetensors file?`);
  if (Number(headerLen) + 8 > src.size) fail(`header of ${headerLen} bytes runs past the end of the ${src.size}-byte file (truncated?)`);
  const text = new TextDecoder().decode(await src.read(8, Number(headerLen)));
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + Number(headerLen);
  const dataBytes = src.size - dataStart;
  const tensors: TensorEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = raw as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const item = typeof info?.dtype === 'string' ? ITEM_BYTES[info.dtype] : undefined;
    if (!item) fail(`tensor "${name}" has unknown dtype ${JSON.stringify(info?.dtype)}`);
    const dtype = info.dtype as string;
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const elems = (shape as number[]).reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(elems * item!)) fail(`tensor "${name}" is too large`);
    if (end < begin || end - begin !== elems * item!) {
      fail(`tensor "${name}" of shape [${shape}] ${dtype} needs ${elems * item!} bytes but data_offsets span ${end - begin}`);
    }
    if (end > dataBytes) fail(`tensor "${name}" ends at data byte ${end} but the file holds ${dataBytes} (truncated download?)`);
    const lower = dtype.toLowerCase();
    tensors.push({
      name,
      dtype: isWeightDtype(lower) ? lower : { unsupported: dtype },
      shape: shape as number[],
      source: src,
      offset: dataStart + begin,
      byteLength: end - begin,
    });
  }
  return { tensors, metadata };
}

/** All tensors of a Hugging Face folder: sharded (index.json) or a single model.safetensors. */
export async function readShardedSafetensors(files: ModelFiles): Promise<{ tensors: TensorEntry[] }> {
  const index = (await readJson(files, 'model.safetensors.index.json')) as { weight_map?: Record<string, string> } | null;
  if (!index) {
    const single = await files.open('model.safetensors');
    if (!single) throw new FormatError(files.name, 'has neither model.safetensors nor model.safetensors.index.json');
    return readSafetensors(single);
  }
  if (!index.weight_map || typeof index.weight_map !== 'object') {
    throw new FormatError(`${files.name}/model.safetensors.index.json`, 'has no "weight_map"');
  }
  const shards = [...new Set(Object.values(index.weight_map))];
  const tensors: TensorEntry[] = [];
  for (const shard of shards) {
    const src = await files.open(shard);
    if (!src) throw new FormatError(files.name, `is missing shard ${shard}, which model.safetensors.index.json lists`);
    tensors.push(...(await readSafetensors(src)).tensors);
  }
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name)) throw new FormatError(files.name, `has tensor "${t.name}" in two shards`);
    names.add(t.name);
  }
  for (const name of Object.keys(index.weight_map)) {
    if (!names.has(name)) throw new FormatError(files.name, `index lists tensor "${name}" in ${index.weight_map[name]}, but that shard lacks it`);
  }
  return { tensors };
}
