/**
 * Random-access byte sources: a Blob/File, a URL read with HTTP range requests, or a local path in Node.
 * Loaders only ever ask for byte ranges, so a multi-gigabyte model is never held whole in memory.
 */
export interface ByteSource {
  /** Shown in errors: a file name, URL or path. */
  readonly name: string;
  readonly size: number;
  /** Reads exactly `length` bytes at `offset`; throws a FormatError-style message naming the source when short. */
  read(offset: number, length: number): Promise<Uint8Array>;
}
