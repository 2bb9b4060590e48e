import { FormatError } from './errors.ts';
import type { ByteSource } from './source.ts';

const utf8 = new TextDecoder();

/**
 * Sequential little-endian reads over a ByteSource through a sliding window, so a header of many
 * megabytes (a 150k-token vocabulary) is parsed without reading the file whole. Reads stop at `end`
 * (the file's end, or a format's bound on its header), so no length read from the file can make it
 * ask the source for more than that.
 */
export class ByteCursor {
  private window: Uint8Array = new Uint8Array(0);
  private view = new DataView(this.window.buffer);
  private windowStart = 0;
  pos = 0;

  constructor(
    readonly src: ByteSource,
    private readonly windowBytes = 1 << 20,
    readonly end = src.size,
  ) {}

  private has(n: number): boolean {
    return this.pos >= this.windowStart && this.pos + n <= this.windowStart + this.window.length;
  }

  private async ensure(n: number): Promise<void> {
    if (this.pos + n > this.end) {
      if (this.end < this.src.size) {
        throw new FormatError(this.src.name, `has a header longer than ${this.end} bytes (needs ${this.pos + n}), far beyond any real one: corrupt counts or lengths`);
      }
      throw new FormatError(this.src.name, `ends at byte ${this.src.size} inside the header (needs ${this.pos + n}): truncated or not this format`);
    }
    if (this.has(n)) return;
    const len = Math.min(Math.max(n, this.windowBytes), this.end - this.pos);
    this.window = await this.src.read(this.pos, len);
    this.view = new DataView(this.window.buffer, this.window.byteOffset, this.window.byteLength);
    this.windowStart = this.pos;
  }

  async bytes(n: number): Promise<Uint8Array> {
    await this.ensure(n);
    const o = this.pos - this.windowStart;
    this.pos += n;
    return this.window.subarray(o, o + n);
  }

  /** Advances past n bytes and returns their offset in the window (read `view` only after awaiting this). */
  private async at(n: number): Promise<number> {
    await this.ensure(n);
    const o = this.pos - this.windowStart;
    this.pos += n;
    return o;
  }

  /**
   * `n` u64-length-prefixed UTF-8 strings. Awaits only to refill the window, since a vocabulary is
   * hundreds of thousands of short strings. `tooLong` is called (and must throw) for a length past
   * `end`.
   */
  async strings(n: number, tooLong: (len: bigint) => never): Promise<string[]> {
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      if (!this.has(8)) await this.ensure(8);
      const len = this.view.getBigUint64(this.pos - this.windowStart, true);
      this.pos += 8;
      if (len > BigInt(this.end - this.pos)) tooLong(len);
      const l = Number(len);
      if (!this.has(l)) await this.ensure(l);
      const o = this.pos - this.windowStart;
      out[i] = utf8.decode(this.window.subarray(o, o + l));
      this.pos += l;
    }
    return out;
  }

  async u8() {
    const o = await this.at(1);
    return this.view.getUint8(o);
  }
  async i8() {
    const o = await this.at(1);
    return this.view.getInt8(o);
  }
  async u16() {
    const o = await this.at(2);
    return this.view.getUint16(o, true);
  }
  async i16() {
    const o = await this.at(2);
    return this.view.getInt16(o, true);
  }
  async u32() {
    const o = await this.at(4);
    return this.view.getUint32(o, true);
  }
  async i32() {
    const o = await this.at(4);
    return this.view.getInt32(o, true);
  }
  async f32() {
    const o = await this.at(4);
    return this.view.getFloat32(o, true);
  }
  async f64() {
    const o = await this.at(8);
    return this.view.getFloat64(o, true);
  }
  async u64(): Promise<bigint> {
    const o = await this.at(8);
    return this.view.getBigUint64(o, true);
  }
  async i64(): Promise<bigint> {
    const o = await this.at(8);
    return this.view.getBigInt64(o, true);
  }
}
