/** A GGUF model split into parts (gguf-split), opened from each kind of input, is the whole model. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel, type ModelBundle } from '../../src/engine/model-files.ts';
import { modelInputFromPath, sourceFromPath } from '../../src/formats/source-node.ts';
import { ensureTestModel, type TestModelSpec } from '../../scripts/lib/test-model-files.ts';

const SPEC: TestModelSpec = { arch: 'llama', format: 'gguf', dtype: 'q8_0', vocab: 'small' };

async function tensorBytes(b: ModelBundle): Promise<[string, number[], Uint8Array][]> {
  return Promise.all([...b.tensors].map(async ([name, t]) => [name, t.shape, await t.source.read(t.offset, t.byteLength)] as [string, number[], Uint8Array]));
}

describe('split GGUF models', async () => {
  const whole = await openModel({ gguf: await sourceFromPath(await ensureTestModel(SPEC)) });
  const first = await ensureTestModel({ ...SPEC, shards: 3 });
  const dir = path.dirname(first);
  const names = (await readdir(dir)).sort();

  it('written as gguf-split names its parts', () => {
    expect(names).toEqual([1, 2, 3].map((i) => path.basename(first).replace('-00001-of-', `-0000${i}-of-`)));
  });

  it('a local path to any part opens all of them', async () => {
    for (const name of [names[0], names[2]]) {
      const split = await openModel(await modelInputFromPath(path.join(dir, name)));
      expect(split.config).toEqual(whole.config);
      expect(split.chatTemplate).toBe(whole.chatTemplate);
      expect(await tensorBytes(split)).toEqual(await tensorBytes(whole));
    }
  });

  it('picked files: the parts together, in any order; one part alone is refused, naming the others', async () => {
    const files = await Promise.all(names.map(async (n) => new File([await readFile(path.join(dir, n))], n)));
    const split = await openModel([files[2], files[0], files[1]]);
    expect(await tensorBytes(split)).toEqual(await tensorBytes(whole));
    await expect(openModel(files[0])).rejects.toThrow(/is part 1 of 3 of a split GGUF model: load all its parts together/);
    await expect(openModel([files[0], files[2]])).rejects.toThrow(new RegExp(`part 2, ${names[1].replace(/\./g, '\\.')}, is missing`));
  });
});
