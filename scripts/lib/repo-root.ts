import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, for scripts that read or write under it (the GPU kit's bundle replaces this module). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
