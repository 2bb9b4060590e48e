import { FormatError } from './errors.ts';
import { HttpError, sourceFromBlob, sourceFromUrl, type ByteSource, type UrlSourceOptions } from './source.ts';

/** A model folder (Hugging Face layout): files opened by relative path, null when absent. */
export interface ModelFiles {
  name: string;
  open(relPath: string): Promise<ByteSource | null>;
}

/** Files under a base URL (any static host that serves ranges). */
export function filesFromUrlBase(baseUrl: string, opts?: UrlSourceOptions): ModelFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    name: baseUrl,
    async open(relPath) {
      try {
        return await sourceFromUrl(new URL(relPath, base).href, opts);
      } catch (e) {
        if (e instanceof HttpError && e.status === 404) return null;
        throw e;
      }
    },
  };
}

/** A Hugging Face repo at a revision: `${host}/${repo}/resolve/${revision}/${path}`. */
export function filesFromHfRepo(repo: string, revision = 'main', host = 'https://huggingface.co', opts?: UrlSourceOptions): ModelFiles {
  // A branch such as "refs/pr/1" is one path segment in resolve URLs.
  const files = filesFromUrlBase(`${host}/${repo}/resolve/${encodeURIComponent(revision)}/`, opts);
  return { name: repo, open: (p) => files.open(p) };
}

/**
 * Files the user picked (a folder input sets webkitRelativePath "folder/sub/file") or dropped (name
 * only). A path relative to the picked folder wins over a bare name match, so "config.json" never
 * resolves to "onnx/config.json" when both are there.
 */
export function filesFromFileList(files: File[]): ModelFiles {
  const relOf = (f: File) => (f as File & { webkitRelativePath?: string }).webkitRelativePath ?? '';
  const folder = (files.length ? relOf(files[0]).split('/')[0] : '') || 'local files';
  return {
    name: folder,
    async open(relPath) {
      const f =
        files.find((x) => relOf(x) === relPath || relOf(x).split('/').slice(1).join('/') === relPath) ??
        files.find((x) => relOf(x).endsWith(`/${relPath}`)) ??
        files.find((x) => !relOf(x) && x.name === relPath);
      return f ? sourceFromBlob(f, relOf(f) || f.name) : null;
    },
  };
}

/** How errors name a file of a folder: "folder/file" (one slash, whatever the folder's name ends with). */
export function fileLabel(files: ModelFiles, relPath: string): string {
  return `${files.name.replace(/\/+$/, '')}/${relPath}`;
}

/**
 * Parses a JSON file of the folder, which must hold an object (every model file does); null when the
 * file is absent, a FormatError when it is not JSON or not an object ("null" is not an absent file).
 */
export async function readJson(files: ModelFiles, relPath: string): Promise<Record<string, unknown> | null> {
  const src = await files.open(relPath);
  if (!src) return null;
  const text = new TextDecoder().decode(await src.read(0, src.size));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new FormatError(fileLabel(files, relPath), `is not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FormatError(fileLabel(files, relPath), `holds ${Array.isArray(value) ? 'an array' : JSON.stringify(value)?.slice(0, 40)} where a JSON object belongs`);
  }
  return value as Record<string, unknown>;
}
