/**
 * Byte sources for the broken-file corpus and the fuzzers: one that records what the parser asks
 * for, and one that claims to be enormous (a corrupt multi-gigabyte download, a server lying about
 * its Content-Range) so that counts and lengths read from the file pass every "fits in the file"
 * check and only the parser's own bounds stand between them and a huge allocation.
 */
import { checkRange, type ByteSource } from '../../src/formats/source.ts';

export interface RecordingSource extends ByteSource {
  /** Longest single read asked for, and the bytes asked for in all. */
  maxReadBytes: number;
  totalReadBytes: number;
  reads: number;
}

/**
 * `bytes`, claiming to be `size` bytes long: everything past the real bytes reads as zeros. Reads
 * over `refuseAbove` throw a plain Error (not a FormatError), so a test sees an absurd request as a
 * failure instead of the source quietly allocating it.
 */
export function recordingSource(bytes: Uint8Array, name: string, size = bytes.length, refuseAbove = 256 * 2 ** 20): RecordingSource {
  const src: RecordingSource = {
    name,
    size,
    maxReadBytes: 0,
    totalReadBytes: 0,
    reads: 0,
    async read(offset, length) {
      src.maxReadBytes = Math.max(src.maxReadBytes, length);
      src.totalReadBytes += length;
      src.reads++;
      if (length > refuseAbove) throw new Error(`${name}: the parser asked for ${length} bytes at ${offset}`);
      checkRange(src, offset, length);
      if (offset + length <= bytes.length) return bytes.subarray(offset, offset + length);
      const out = new Uint8Array(length);
      if (offset < bytes.length) out.set(bytes.subarray(offset));
      return out;
    },
  };
  return src;
}

/** 1 TiB: room for any count or length a 64-bit field can make plausible. */
export const HUGE = 2 ** 40;
