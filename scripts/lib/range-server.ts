import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { ggufPartNames, ggufPartOf } from '../../src/formats/gguf-split.ts';

/**
 * Serves a local file or folder over HTTP with byte-range support (206 / Content-Range), the way
 * Hugging Face and static hosts serve model files. Used by the CLI to hand local models to the
 * browser engine, and by tests of the URL loader.
 */
/** The names a single served file answers to: its own, and those of the other parts of a split GGUF. */
function servedNames(file: string): string[] {
  const part = ggufPartOf(path.basename(file));
  return (part && ggufPartNames(path.basename(file), part.count)) || [path.basename(file)];
}

export function rangeHandler(root: string, prefix: string) {
  return async (req: IncomingMessage, res: ServerResponse, next?: () => void): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith(prefix)) return next ? next() : notFound(res);
    const rel = decodeURIComponent(url.pathname.slice(prefix.length));
    const rootStat = await stat(root).catch(() => null);
    // A single file is served under its own name (a part of a split GGUF with its other parts beside
    // it); a folder under relative paths.
    let file: string;
    if (rootStat?.isFile()) file = rel === '' || servedNames(root).includes(rel) ? path.join(path.dirname(root), rel || path.basename(root)) : '';
    else file = path.join(root, rel);
    if (!file || (!rootStat?.isFile() && !file.startsWith(path.resolve(root)))) return notFound(res);
    const st = await stat(file).catch(() => null);
    if (!st?.isFile()) return notFound(res);
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream');
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Range, Content-Length');
    const range = req.headers.range?.match(/^bytes=(\d+)-(\d*)$/);
    if (req.headers.range && !range) return void res.writeHead(416).end();
    let start = 0;
    let end = st.size - 1;
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), st.size - 1) : st.size - 1;
      if (start >= st.size || start > end) {
        res.writeHead(416, { 'Content-Range': `bytes */${st.size}` });
        return void res.end();
      }
      res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${st.size}`, 'Content-Length': end - start + 1 });
    } else {
      res.writeHead(200, { 'Content-Length': st.size });
    }
    if (req.method === 'HEAD' || st.size === 0) return void res.end();
    createReadStream(file, { start, end }).pipe(res);
  };
}

/** Enough types to serve a built app too (module scripts need a JavaScript type). */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

function notFound(res: ServerResponse): void {
  res.writeHead(404).end('not found');
}
