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

/** Throws a FormatError naming the source when `offset + length` is invalid or past its end. */
export function checkRange(src: { name: string; size: number }, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new FormatError(src.name, `invalid byte range ${offset} + ${length}`);
  }
  if (offset + length > src.size) {
    throw new FormatError(src.name, `needs bytes up to ${offset + length} but the file has ${src.size} (truncated download?)`);
  }
}

/** A Blob or a picked/dropped File; reads slice it, so the file is never loaded whole. */
export function sourceFromBlob(blob: Blob, name = (blob as File).name ?? 'blob'): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset, length) {
      checkRange({ name, size: blob.size }, offset, length);
      // A picked file that changed on disk since fails to read (NotReadableError) or reads short.
      const buf = await blob
        .slice(offset, offset + length)
        .arrayBuffer()
        .catch((e: unknown) => {
          throw new FormatError(name, `could not be read (${(e as Error).message}); was it changed or moved after it was picked? Pick it again`);
        });
      if (buf.byteLength !== length) throw new FormatError(name, `asked for ${length} bytes at ${offset} but got ${buf.byteLength}; was it changed after it was picked?`);
      return new Uint8Array(buf);
    },
  };
}

/** Bytes already in memory (tests, small files). */
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
  /** Retries of a failed range read (network error or 5xx) before giving up; default 3. */
  retries?: number;
  /** Milliseconds before the first retry, doubled for each further one; default 250. */
  retryDelayMs?: number;
}

/** The HTTP status of a failed request, kept for callers that treat 404 as "no such file". */
export class HttpError extends FormatError {
  override name = 'HttpError';
  constructor(
    url: string,
    readonly status: number,
  ) {
    super(url, `the server answered HTTP ${status}${status === 401 || status === 403 ? ' (a gated or private model needs an access token)' : ''}`);
  }
}

const NO_RANGES = 'the server ignores HTTP range requests (it answered 200 with the whole file), so the model cannot be streamed from it: serve it from a host that supports Range';

/**
 * A URL read with `Range` requests. The size comes from the Content-Range of a one-byte range
 * request, or from a HEAD request's Content-Length when Content-Range is not readable (a CORS
 * response that does not expose it). A server that ignores ranges is refused rather than
 * downloaded whole.
 */
export async function sourceFromUrl(url: string, opts: UrlSourceOptions = {}): Promise<ByteSource> {
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const retries = opts.retries ?? 3;
  const retryDelayMs = opts.retryDelayMs ?? 250;
  const get = (init?: RequestInit) =>
    doFetch(url, init).catch((e: unknown) => {
      throw new FormatError(url, `could not be fetched (${(e as Error).message}); check the address and your connection`);
    });

  const probe = await get({ headers: { Range: 'bytes=0-0' } });
  await probe.body?.cancel();
  // 416: an empty file has no byte 0; its size still comes from HEAD.
  if (probe.status !== 206 && probe.status !== 416) {
    if (!probe.ok) throw new HttpError(url, probe.status);
    throw new FormatError(url, NO_RANGES);
  }
  const total = probe.headers.get('Content-Range')?.match(/\/(\d+)$/);
  const size = total ? Number(total[1]) : await sizeFromHead(url, get);

  const readOnce = async (offset: number, length: number): Promise<Uint8Array> => {
    const res = await doFetch(url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
    if (res.status !== 206) {
      await res.body?.cancel();
      if (res.ok) throw new FormatError(url, NO_RANGES);
      throw new HttpError(url, res.status);
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length !== length) throw new FormatError(url, `asked for ${length} bytes at ${offset} but got ${bytes.length} (connection cut or file changed on the server?)`);
    return bytes;
  };

  return {
    name: url,
    size,
    async read(offset, length) {
      checkRange({ name: url, size }, offset, length);
      if (length === 0) return new Uint8Array(0);
      for (let attempt = 0; ; attempt++) {
        try {
          return await readOnce(offset, length);
        } catch (e) {
          // Only transient failures are retried: network errors, server errors and short bodies.
          const permanent = e instanceof HttpError ? e.status < 500 : e instanceof FormatError && e.problem === NO_RANGES;
          if (permanent || attempt >= retries) {
            if (e instanceof FormatError) throw e;
            throw new FormatError(url, `reading bytes ${offset}-${offset + length - 1} failed after ${attempt + 1} attempts: ${(e as Error).message}`);
          }
          await new Promise((r) => setTimeout(r, retryDelayMs * 2 ** attempt));
        }
      }
    },
  };
}

async function sizeFromHead(url: string, get: (init?: RequestInit) => Promise<Response>): Promise<number> {
  const head = await get({ method: 'HEAD' });
  if (!head.ok) throw new HttpError(url, head.status);
  const len = head.headers.get('Content-Length');
  if (len === null || !/^\d+$/.test(len)) {
    throw new FormatError(url, 'the server reports no file size (neither Content-Range nor Content-Length; for a cross-origin host, expose Content-Range in CORS)');
  }
  return Number(len);
}
