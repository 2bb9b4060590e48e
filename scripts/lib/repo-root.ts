import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, for scripts that write under it. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
