import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rangeHandler } from '../../scripts/lib/range-server.ts';
import { FormatError } from '../../src/formats/errors.ts';
import { filesFromUrlBase } from '../../src/formats/model-files.ts';
import { HttpError, sourceFromUrl } from '../../src/formats/source.ts';
import { formatError, randomBytes, serve, tempDir } from './helpers.ts';

/** sourceFromUrl against local HTTP servers: a proper range server, and servers that misbehave. */
const FILE = randomBytes(100_000, 42);
const dir = await tempDir();
await writeFile(path.join(dir, 'model.gguf'), FILE);
const ranged = await serve(rangeHandler(dir, '/files/'));
const opts = { retries: 2, retryDelayMs: 1 };

/** A server whose answer to each request is decided by `answer`; counts requests per method. */
async function misbehaving(answer: (req: IncomingMessage, res: ServerResponse, n: number) => void) {
  const counts = { GET: 0, HEAD: 0 };
  const url = await serve((req, res) => answer(req, res, ++counts[req.method as 'GET' | 'HEAD']));
  return { url: `${url}/model.gguf`, counts };
}

/** Answers a Range request properly from FILE, or with `override` bytes. */
function ranges(req: IncomingMessage, res: ServerResponse, override?: (body: Uint8Array) => Uint8Array) {
  const m = req.headers.range?.match(/^bytes=(\d+)-(\d+)$/);
  if (!m) return void res.writeHead(200, { 'Content-Length': FILE.length }).end(FILE);
  const [start, end] = [Number(m[1]), Math.min(Number(m[2]), FILE.length - 1)];
  const body = FILE.subarray(start, end + 1);
  // No Content-Length: the body is chunked, so a short one arrives without a network error.
  res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${FILE.length}` });
  res.end(override ? override(body) : body);
}

describe('sourceFromUrl with a range server', async () => {
  const src = await sourceFromUrl(`${ranged}/files/model.gguf`);

  it('learns the size from Content-Range', () => {
    expect(src.size).toBe(FILE.length);
    expect(src.name).toBe(`${ranged}/files/model.gguf`);
  });

  it('reads any range exactly', async () => {
    expect(await src.read(0, 16)).toEqual(FILE.subarray(0, 16));
    expect(await src.read(54_321, 1_000)).toEqual(FILE.subarray(54_321, 55_321));
    expect(await src.read(FILE.length - 1, 1)).toEqual(FILE.subarray(FILE.length - 1));
    expect(await src.read(0, FILE.length)).toEqual(FILE);
    expect(await src.read(500, 0)).toEqual(new Uint8Array(0));
  });

  it('refuses ranges past the end, naming the URL', async () => {
    const e = await formatError(src.read(FILE.length - 10, 11));
    expect(e.file).toBe(src.name);
    expect(e.problem).toMatch(new RegExp(`needs bytes up to ${FILE.length + 1} but the file has ${FILE.length}`));
    expect((await formatError(src.read(-1, 4))).problem).toMatch(/invalid byte range -1 \+ 4/);
  });

  it('reports a missing file as HttpError 404, and a folder of URLs as null', async () => {
    const e = await formatError(sourceFromUrl(`${ranged}/files/missing.gguf`));
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).status).toBe(404);
    expect(e.problem).toMatch(/HTTP 404/);
    const files = filesFromUrlBase(`${ranged}/files`);
    expect(await files.open('missing.gguf')).toBeNull();
    expect((await files.open('model.gguf'))?.size).toBe(FILE.length);
  });
});

describe('sourceFromUrl with misbehaving servers', () => {
  it('refuses a server that ignores Range (always 200) instead of downloading the whole file', async () => {
    const { url } = await misbehaving((_req, res) => void res.writeHead(200, { 'Content-Length': FILE.length }).end(FILE));
    const e = await formatError(sourceFromUrl(url, opts));
    expect(e).not.toBeInstanceOf(HttpError);
    expect(e.file).toBe(url);
    expect(e.problem).toMatch(/ignores HTTP range requests/);
  });

  it('refuses, without retrying, a server that stops honouring Range after the size probe', async () => {
    const { url, counts } = await misbehaving((req, res, n) => (n === 1 ? ranges(req, res) : void res.writeHead(200).end(FILE)));
    const src = await sourceFromUrl(url, opts);
    expect((await formatError(src.read(10, 100))).problem).toMatch(/ignores HTTP range requests/);
    expect(counts.GET).toBe(2);
  });

  it('retries a short body, then names the shortfall', async () => {
    const { url, counts } = await misbehaving((req, res, n) => ranges(req, res, n === 1 ? undefined : (b) => b.subarray(0, b.length - 10)));
    const src = await sourceFromUrl(url, opts);
    const e = await formatError(src.read(10, 100));
    expect(e.problem).toMatch(/asked for 100 bytes at 10 but got 90/);
    expect(counts.GET).toBe(1 + 3); // probe, then the first try and 2 retries
  });

  it('recovers when a retry succeeds', async () => {
    const { url, counts } = await misbehaving((req, res, n) => (n === 2 ? void res.writeHead(503).end() : ranges(req, res)));
    const src = await sourceFromUrl(url, opts);
    expect(await src.read(7, 50)).toEqual(FILE.subarray(7, 57));
    expect(counts.GET).toBe(3);
  });

  it('gives up on a persistent server error with its status', async () => {
    const { url, counts } = await misbehaving((req, res, n) => (n === 1 ? ranges(req, res) : void res.writeHead(500).end()));
    const src = await sourceFromUrl(url, opts);
    const e = await formatError(src.read(0, 10));
    expect((e as HttpError).status).toBe(500);
    expect(counts.GET).toBe(1 + 3);
  });

  it('does not retry a client error, and explains 403', async () => {
    const { url, counts } = await misbehaving((req, res, n) => (n === 1 ? ranges(req, res) : void res.writeHead(403).end()));
    const src = await sourceFromUrl(url, opts);
    const e = await formatError(src.read(0, 10));
    expect(e).toBeInstanceOf(HttpError);
    expect(e.problem).toMatch(/HTTP 403.*access token/);
    expect(counts.GET).toBe(2);
  });

  it('falls back to HEAD for the size when Content-Range is not readable', async () => {
    const { url, counts } = await misbehaving((req, res) => {
      if (req.method === 'HEAD') return void res.writeHead(200, { 'Content-Length': FILE.length }).end();
      res.writeHead(206).end(FILE.subarray(0, 1)); // as a cross-origin response that hides Content-Range
    });
    expect((await sourceFromUrl(url, opts)).size).toBe(FILE.length);
    expect(counts.HEAD).toBe(1);
  });

  it('names an address nothing answers at', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    const e = await formatError(sourceFromUrl(`http://127.0.0.1:${port}/x.gguf`, opts));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.problem).toMatch(/could not be fetched/);
  });
});
