import { isWeightDtype } from './dtypes.ts';
import { FormatError } from './errors.ts';
import { duplicateTopLevelKey } from './json-keys.ts';
import { fileLabel, readJson, type ModelFiles } from './model-files.ts';
import { wrongFileHint } from './sniff.ts';
import type { ByteSource } from './source.ts';
import type { TensorEntry } from './tensor.ts';

/**
 * safetensors reader: u64 header length, a JSON header {name: {dtype, shape, data_offsets}}, then
 * the data. Sharded checkpoints list their files in model.safetensors.index.json (`weight_map`).
 */
/** Bytes per element of each safetensors dtype. */
export const SAFETENSORS_ITEM_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8, C64: 8,
};

/** Headers above this are refused (the format's own limit). */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsFile {
  tensors: TensorEntry[];
  metadata: Record<string, string>;
}

/** Reads a safetensors header and locates its tensors (no tensor data is read). */
export async function readSafetensors(src: ByteSource): Promise<SafetensorsFile> {
  const fail = (problem: string): never => {
    throw new FormatError(src.name, problem);
  };
  if (src.size < 8) fail(`is ${src.size} bytes long: too short to be a safetensors file`);
  const head = await src.read(0, Math.min(64, src.size));
  const headerLen = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER_BYTES)) fail(`claims a ${headerLen}-byte header (at most ${MAX_HEADER_BYTES}), so it is not a safetensors file${wrongFileHint(head)}`);
  if (Number(headerLen) + 8 > src.size) fail(`header of ${headerLen} bytes runs past the end of the ${src.size}-byte file (truncated download?)`);
  const text = new TextDecoder().decode(await src.read(8, Number(headerLen)));
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})${wrongFileHint(head)}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const twice = duplicateTopLevelKey(text);
  if (twice !== null) fail(`header defines "${twice}" twice`);
  const dataStart = 8 + Number(headerLen);
  const dataBytes = src.size - dataStart;
  const tensors: TensorEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
        fail('__metadata__ is not an object of strings');
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    // hasOwn: a dtype such as "constructor" must not find Object.prototype's members.
    const item = typeof info?.dtype === 'string' && Object.hasOwn(SAFETENSORS_ITEM_BYTES, info.dtype) ? SAFETENSORS_ITEM_BYTES[info.dtype] : undefined;
    if (!item) fail(`tensor "${name}" has unknown dtype ${JSON.stringify(info?.dtype)} (known: ${Object.keys(SAFETENSORS_ITEM_BYTES).join(', ')})`);
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
  // Overlapping tensors mean a corrupt header (the reference reader requires them disjoint).
  const byStart = [...tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < byStart.length; i++) {
    const [prev, t] = [byStart[i - 1], byStart[i]];
    if (t.offset < prev.offset + prev.byteLength && t.byteLength > 0) fail(`tensors "${prev.name}" and "${t.name}" overlap in the data area`);
  }
  return { tensors, metadata };
}

/** All tensors of a Hugging Face folder: sharded (index.json) or a single model.safetensors. */
export async function readShardedSafetensors(files: ModelFiles): Promise<{ tensors: TensorEntry[] }> {
  const indexName = 'model.safetensors.index.json';
  const index = (await readJson(files, indexName)) as { weight_map?: unknown } | null;
  if (!index) {
    const single = await files.open('model.safetensors');
    if (!single) throw new FormatError(files.name, `has neither model.safetensors nor ${indexName}: is this a safetensors model folder?`);
    return readSafetensors(single);
  }
  const map = index.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new FormatError(fileLabel(files, indexName), 'has no "weight_map" object');
  const weightMap = map as Record<string, unknown>;
  for (const [name, shard] of Object.entries(weightMap)) {
    // Shard names come from the file: keep them inside the model folder.
    if (typeof shard !== 'string' || !/^[^/\\]/.test(shard) || shard.split(/[/\\]/).includes('..') || shard.includes(':')) {
      throw new FormatError(fileLabel(files, indexName), `maps tensor "${name}" to ${JSON.stringify(shard)}, which is not a file name in the model folder`);
    }
  }
  const shards = [...new Set(Object.values(weightMap) as string[])];
  const read = await Promise.all(
    shards.map(async (shard) => {
      const src = await files.open(shard);
      if (!src) throw new FormatError(files.name, `is missing shard ${shard}, which ${indexName} lists (incomplete download?)`);
      return (await readSafetensors(src)).tensors;
    }),
  );
  const tensors = read.flat();
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name)) throw new FormatError(files.name, `has tensor "${t.name}" in two shards`);
    names.add(t.name);
  }
  for (const [name, shard] of Object.entries(weightMap)) {
    if (!names.has(name)) throw new FormatError(files.name, `${indexName} lists tensor "${name}" in ${shard as string}, but that shard lacks it`);
  }
  return { tensors };
}
