import { FormatError } from './errors.ts';
import { HttpError, sourceFromBlob, sourceFromUrl, type ByteSource } from './source.ts';

/** A model folder (Hugging Face layout): files opened by relative path, null when absent. */
export interface ModelFiles {
  name: string;
  open(relPath: string): Promise<ByteSource | null>;
}

/** Files under a base URL (any static host that serves ranges). */
export function filesFromUrlBase(baseUrl: string): ModelFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    name: baseUrl,
    async open(relPath) {
      try {
        return await sourceFromUrl(new URL(relPath, base).href);
      } catch (e) {
        if (e instanceof HttpError && e.status === 404) return null;
        throw e;
      }
    },
  };
}

/** A Hugging Face repo at a revision: `${host}/${repo}/resolve/${revision}/${path}`. */
export function filesFromHfRepo(repo: string, revision = 'main', host = 'https://huggingface.co'): ModelFiles {
  const files = filesFromUrlBase(`${host}/${repo}/resolve/${revision}/`);
  return { name: repo, open: (p) => files.open(p) };
}

/** Files the user picked or dropped: matched by name, or by the tail of webkitRelativePath. */
export function filesFromFileList(files: File[]): ModelFiles {
  const first = files[0] as (File & { webkitRelativePath?: string }) | undefined;
  const folder = first?.webkitRelativePath?.split('/')[0] || 'local files';
  return {
    name: folder,
    async open(relPath) {
      const f = files.find((x) => {
        const rel = (x as File & { webkitRelativePath?: string }).webkitRelativePath;
        return x.name === relPath || (rel && (rel === relPath || rel.endsWith(`/${relPath}`)));
      });
      return f ? sourceFromBlob(f, f.name) : null;
    },
  };
}

/** Parses a JSON file of the folder; null when the file is absent, a FormatError when it is not JSON. */
export async function readJson(files: ModelFiles, relPath: string): Promise<unknown> {
  const src = await files.open(relPath);
  if (!src) return null;
  const text = new TextDecoder().decode(await src.read(0, src.size));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FormatError(`${files.name}/${relPath}`, `is not valid JSON (${(e as Error).message})`);
  }
}
