import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFromPath } from '../../src/formats/source-node.ts';
import { sourceFromBlob, sourceFromBytes } from '../../src/formats/source.ts';
import { formatError, randomBytes, tempDir } from './helpers.ts';

/** The local byte sources: every read is exact, and every bad range names the source. */
const BYTES = randomBytes(5000, 7);
const dir = await tempDir();
await writeFile(path.join(dir, 'w.bin'), BYTES);

describe('local byte sources', async () => {
  const sources = [
    sourceFromBytes(BYTES, 'mem.bin'),
    sourceFromBlob(new Blob([BYTES]), 'blob.bin'),
    await sourceFromPath(path.join(dir, 'w.bin')),
  ];
  for (const src of sources) {
    it(`${path.basename(src.name)}: reads exact ranges and refuses bad ones`, async () => {
      expect(src.size).toBe(5000);
      expect(await src.read(0, 5000)).toEqual(BYTES);
      expect(await src.read(4321, 79)).toEqual(BYTES.subarray(4321, 4400));
      expect(await src.read(5000, 0)).toEqual(new Uint8Array(0));
      const past = await formatError(src.read(4990, 11));
      expect(past.file).toBe(src.name);
      expect(past.problem).toMatch(/needs bytes up to 5001 but the file has 5000/);
      expect((await formatError(src.read(1.5, 2))).problem).toMatch(/invalid byte range/);
    });
  }

  it('names a path that is not a file', async () => {
    const e = await formatError(sourceFromPath(path.join(dir, 'nope.bin')));
    expect(e.file).toBe(path.join(dir, 'nope.bin'));
    expect(e.problem).toMatch(/no such file/);
    expect((await formatError(sourceFromPath(dir))).problem).toMatch(/no such file/);
  });
});
