import { FormatError } from './errors.ts';

/**
 * Random-access byte sources: a Blob/File, a URL read with HTTP range requests, or a local path in
 * Node (source-node.ts). Loaders only ever ask for byte ranges, so a multi-gigabyte model is never
 * held whole in memory.
 */
export interface ByteSource {
  /** Shown in errors: a file name, URL or path. */
  readonly name: string;
  readonly size: number;
  /** Reads exactly `length` bytes at `offset`; a FormatError naming the source when the range is past the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function checkRange(src: { name: string; size: number }, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new FormatError(src.name, `invalid byte range ${offset} + ${length}`);
  }
  if (offset + length > src.size) {
    throw new FormatError(src.name, `needs bytes up to ${offset + length} but the file has ${src.size} (truncated download?)`);
  }
}

export function sourceFromBlob(blob: Blob, name = (blob as File).name ?? 'blob'): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset, length) {
      checkRange({ name, size: blob.size }, offset, length);
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

export function sourceFromBytes(bytes: Uint8Array, name: string): ByteSource {
  return {
    name,
    size: bytes.length,
    async read(offset, length) {
      checkRange({ name, size: bytes.length }, offset, length);
      return bytes.subarray(offset, offset + length);
    },
  };
}

export interface UrlSourceOptions {
  fetch?: typeof fetch;
  /** Attempts per range read before giving up. */
  retries?: number;
}

/** The HTTP status of a failed request, kept for callers that treat 404 as "no such file". */
export class HttpError extends FormatError {
  override name = 'HttpError';
  constructor(
    url: string,
    readonly status: number,
  ) {
    super(url, `the server answered HTTP ${status}`);
  }
}

/**
 * A URL read with `Range` requests. The size comes from the Content-Range of a one-byte range request;
 * a server that ignores ranges (answers 200 with the whole body) is refused rather than downloaded whole.
 */
export async function sourceFromUrl(url: string, opts: UrlSourceOptions = {}): Promise<ByteSource> {
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const retries = opts.retries ?? 3;
  const probe = await doFetch(url, { headers: { Range: 'bytes=0-0' } }).catch((e: unknown) => {
    throw new FormatError(url, `could not be fetched (${(e as Error).message}); check the address and your connection`);
  });
  if (probe.status === 404 || probe.status === 403 || probe.status === 401) throw new HttpError(url, probe.status);
  if (probe.status !== 206) {
    await probe.body?.cancel();
    if (!probe.ok) throw new HttpError(url, probe.status);
    throw new FormatError(url, 'the server does not support HTTP range requests (answered 200 to a Range request), so the model cannot be streamed from it');
  }
  await probe.arrayBuffer();
  const total = probe.headers.get('Content-Range')?.match(/\/(\d+)$/);
  if (!total) throw new FormatError(url, 'the server sent no Content-Range total size (is Content-Range exposed for CORS?)');
  const size = Number(total[1]);
  return {
    name: url,
    size,
    async read(offset, length) {
      checkRange({ name: url, size }, offset, length);
      if (length === 0) return new Uint8Array(0);
      let lastError: unknown;
      for (let attempt = 0; attempt < retries; attempt++) {
        try {
          const res = await doFetch(url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
          if (res.status !== 206) {
            await res.body?.cancel();
            throw new HttpError(url, res.status);
          }
          const bytes = new Uint8Array(await res.arrayBuffer());
          if (bytes.length !== length) throw new FormatError(url, `asked for ${length} bytes at ${offset}, got ${bytes.length}`);
          return bytes;
        } catch (e) {
          lastError = e;
          if (e instanceof HttpError && e.status < 500) break;
        }
      }
      if (lastError instanceof FormatError) throw lastError;
      throw new FormatError(url, `reading bytes ${offset}-${offset + length - 1} failed: ${(lastError as Error)?.message}`);
    },
  };
}
