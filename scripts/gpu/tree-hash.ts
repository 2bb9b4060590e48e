import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** The folders whose code the GPU kit's bundle is built from. */
const CODE_DIRS = ['src', 'scripts', 'shaders'];

/**
 * A hash of the code under `root` the kit is built from (paths and contents): the GPU machine
 * compares it with the kit's own, so results are never taken with a bundle older than the tree.
 */
export async function treeHash(root: string): Promise<string> {
  const files: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(root, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  for (const d of CODE_DIRS) await walk(d);
  const h = createHash('sha256');
  for (const f of files.sort()) h.update(`${f}\0`).update(await readFile(path.join(root, f))).update('\0');
  return h.digest('hex').slice(0, 16);
}
