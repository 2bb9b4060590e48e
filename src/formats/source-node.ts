/** Node-only byte sources (kept apart so browser bundles never import node:fs). */
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { FormatError } from './errors.ts';
import type { GgufInput } from '../engine/model-files.ts';
import type { ModelFiles } from './model-files.ts';
import { checkRange, type ByteSource } from './source.ts';

/** A local file read with positioned reads; the handle is opened per read, so nothing needs closing. */
export async function sourceFromPath(file: string): Promise<ByteSource> {
  const st = await stat(file).catch(() => null);
  if (!st?.isFile()) throw new FormatError(file, 'no such file (check the path)');
  return {
    name: file,
    size: st.size,
    async read(offset, length) {
      checkRange({ name: file, size: st.size }, offset, length);
      const fh = await open(file, 'r');
      try {
        const buf = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
          if (bytesRead === 0) throw new FormatError(file, `ended at byte ${offset + done} while reading ${length} bytes at ${offset} (was it truncated while open?)`);
          done += bytesRead;
        }
        return buf;
      } finally {
        await fh.close();
      }
    },
  };
}

/** A local model folder; `open` returns null for a missing file. */
export function filesFromDirectory(dir: string): ModelFiles {
  return {
    name: dir,
    async open(relPath) {
      const st = await stat(path.join(dir, relPath)).catch(() => null);
      return st?.isFile() ? sourceFromPath(path.join(dir, relPath)) : null;
    },
  };
}

/**
 * What the engine loads for a command-line `--model`: a local GGUF file (with the other parts of a
 * split model beside it), a local model folder, or (anything else) a URL or Hugging Face repo id,
 * passed on as it is.
 */
export async function modelInputFromPath(model: string): Promise<GgufInput | { folder: ModelFiles } | string> {
  const st = await stat(model).catch(() => null);
  if (st?.isFile()) return { gguf: await sourceFromPath(model), fileName: path.basename(model), openPart: filesFromDirectory(path.dirname(model)).open };
  return st ? { folder: filesFromDirectory(model) } : model;
}
