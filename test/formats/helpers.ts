import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { Rng } from '../../scripts/lib/random.ts';
import { FormatError } from '../../src/formats/errors.ts';

/** Shared by the format tests: local HTTP servers, temporary folders, bytes, error capture. */

/** An HTTP server on 127.0.0.1 with a free port; closed (keep-alive sockets too) after the file's tests. */
export async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): Promise<string> {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((e: unknown) => res.writeHead(500).end(String(e)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A fresh temporary folder, removed after the file's tests. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'r1-formats-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Seeded bytes in 1..255: a zero byte could hide a read of the wrong (zero-filled) range. */
export function randomBytes(n: number, seed: number): Uint8Array<ArrayBuffer> {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: n }, () => 1 + rng.int(255));
}

/** Seeded floats that are never zero. */
export function randomFloats(n: number, seed: number, std = 1): Float32Array {
  const out = new Rng(seed).normals(n, std);
  for (let i = 0; i < n; i++) if (out[i] === 0) out[i] = std / 7;
  return out;
}

/** The FormatError a promise rejects with (fails the test when it resolves or throws something else). */
export async function formatError(p: Promise<unknown>): Promise<FormatError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!(e instanceof FormatError)) throw new Error(`expected a FormatError, got ${e === null ? 'success' : String(e)}`);
  return e;
}

/** Little-endian patches of a copy of `bytes`. */
export function patched(bytes: Uint8Array, edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const copy = bytes.slice();
  edit(new DataView(copy.buffer), copy);
  return copy;
}

/** Byte offset of the first occurrence of `needle` (UTF-8) in `bytes`; throws when absent. */
export function indexOfBytes(bytes: Uint8Array, needle: string, from = 0): number {
  const n = new TextEncoder().encode(needle);
  outer: for (let i = from; i + n.length <= bytes.length; i++) {
    for (let j = 0; j < n.length; j++) if (bytes[i + j] !== n[j]) continue outer;
    return i;
  }
  throw new Error(`"${needle}" not found`);
}
