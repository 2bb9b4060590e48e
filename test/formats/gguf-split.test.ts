import { describe, expect, it } from 'vitest';
import { ggufPartNames, ggufPartOf, readGgufModel, type GgufPartOpener } from '../../src/formats/gguf-split.ts';
import { readGguf, type GgufFile } from '../../src/formats/gguf.ts';
import { writeGguf, writeSplitGguf, type GgufWriteTensor, type GgufWriteValue } from '../../src/formats/gguf-writer.ts';
import { sourceFromBytes } from '../../src/formats/source.ts';

const METADATA: [string, GgufWriteValue][] = [
  ['general.architecture', { type: 'string', value: 'qwen2' }],
  ['qwen2.block_count', { type: 'u32', value: 2 }],
];
const TENSORS: GgufWriteTensor[] = Array.from({ length: 5 }, (_, i) => ({
  name: `t${i}.weight`,
  dtype: 'f32',
  shape: [2, 3],
  data: new Uint8Array(Float32Array.from({ length: 6 }, (_, j) => i * 10 + j + 0.5).buffer),
}));
const NAMES = ggufPartNames('Model-Q8_0-00002-of-00003.gguf', 3)!;

/** The three parts, served by name; `edit` may change or drop any before they are read. */
function parts(edit?: (files: Map<string, Uint8Array>) => void): { open: GgufPartOpener; first: () => Promise<GgufFile> } {
  const files = new Map(writeSplitGguf(METADATA, TENSORS, 3).map((bytes, i) => [NAMES[i], bytes]));
  edit?.(files);
  const open: GgufPartOpener = async (name) => {
    const bytes = files.get(name);
    return bytes ? sourceFromBytes(bytes, name) : null;
  };
  return { open, first: async () => readGgufModel((await open(NAMES[0]))!, NAMES[0], open) };
}

async function values(file: GgufFile): Promise<number[][]> {
  return Promise.all(file.tensors.map(async (t) => Array.from(new Float32Array((await t.source.read(t.offset, t.byteLength)).slice().buffer))));
}

describe('split GGUF models (gguf-split parts)', () => {
  it('names parts as llama.cpp does, from any part', () => {
    expect(NAMES).toEqual(['Model-Q8_0-00001-of-00003.gguf', 'Model-Q8_0-00002-of-00003.gguf', 'Model-Q8_0-00003-of-00003.gguf']);
    expect(ggufPartNames('Model.gguf', 3)).toBeNull();
    expect(ggufPartNames('Model-00001-of-00002.gguf', 3)).toBeNull();
    expect(ggufPartOf('a-b-00002-of-00010.GGUF')).toEqual({ part: 2, count: 10 });
  });

  it('reads every tensor from its own part, the metadata from the first, starting at any part', async () => {
    const whole = await readGguf(sourceFromBytes(writeGguf(METADATA, TENSORS), 'whole.gguf'));
    const { open, first } = parts();
    for (const start of [await first(), await readGgufModel((await open(NAMES[2]))!, NAMES[2], open)]) {
      expect(start.tensors.map((t) => [t.name, t.shape, t.dtype])).toEqual(whole.tensors.map((t) => [t.name, t.shape, t.dtype]));
      expect(await values(start)).toEqual(await values(whole));
      expect(start.tensors.map((t) => t.source.name)).toEqual([NAMES[0], NAMES[1], NAMES[1], NAMES[2], NAMES[2]]);
      expect(start.metadata.get('general.architecture')).toBe('qwen2');
    }
  });

  it('a single part alone, a missing part, a renamed part: each refused by name', async () => {
    const { open } = parts();
    const part1 = (await open(NAMES[0]))!;
    await expect(readGgufModel(part1, NAMES[0])).rejects.toThrow(/is part 1 of 3 of a split GGUF model: load all its parts together \(Model-Q8_0-00001-of-00003\.gguf, .*00003\.gguf\)/);
    await expect(readGgufModel(part1, 'renamed.gguf', open)).rejects.toThrow(/its name does not say where the other parts are/);
    const gap = parts((f) => f.delete(NAMES[1]));
    await expect(gap.first()).rejects.toThrow(/part 2, Model-Q8_0-00002-of-00003\.gguf, is missing/);
  });

  it('parts of another split, or of another copy, are refused', async () => {
    const swapped = parts((f) => f.set(NAMES[2], f.get(NAMES[1])!));
    await expect(swapped.first()).rejects.toThrow(/should be part 3 of 3 .* but its metadata says it is part 2 of 3/);
    const whole = parts((f) => f.set(NAMES[1], writeGguf(METADATA, TENSORS.slice(2, 3))));
    await expect(whole.first()).rejects.toThrow(/should be part 2 of 3 .* it is a whole model/);
    const other = parts((f) => f.set(NAMES[2], writeSplitGguf(METADATA, [...TENSORS, ...TENSORS.map((t) => ({ ...t, name: `x${t.name}` }))], 3)[2]));
    await expect(other.first()).rejects.toThrow(/hold 5 tensors, but they hold \d+/);
    const twice = parts((f) => f.set(NAMES[2], writeSplitGguf(METADATA, [...TENSORS.slice(0, 3), TENSORS[0], TENSORS[1]], 3)[2]));
    await expect(twice.first()).rejects.toThrow(/tensor "t0.weight" is in more than one part/);
  });
});
