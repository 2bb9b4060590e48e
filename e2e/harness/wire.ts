/**
 * How harness arguments and results cross between a Playwright test and its page: one JSON string,
 * with every long array of numbers packed as base64 of the narrowest typed array that holds its values
 * exactly (bytes, 32-bit integers, f32, else f64). Playwright's own serialization walks each element
 * as an object, and its channel moves text at only a few MB/s on a 2-core machine: a matmul case's
 * weights and inputs took 100-400 ms per call as Playwright values, against 10-40 ms packed. f64
 * keeps NaN, infinities and -0, so every number arrives as it left. Typed arrays arrive as plain
 * arrays, as the harness functions take them. Imported by the tests (call.ts) and, by URL, by the page.
 */

const PACKED = '\u0000packed';
/** Shorter arrays go as JSON: packing would not pay. */
const MIN_PACKED = 32;

const ARRAYS = { u8: Uint8Array, i32: Int32Array, f32: Float32Array, f64: Float64Array };
type Kind = keyof typeof ARRAYS;

export function toWire(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    const arr = ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v;
    if (Array.isArray(arr) && arr.length >= MIN_PACKED && arr.every((x) => typeof x === 'number')) return pack(arr as number[]);
    if (typeof arr === 'number' && (!Number.isFinite(arr) || Object.is(arr, -0))) return pack([arr], true);
    return arr;
  });
}

export function fromWire(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => (isPacked(v) ? unpack(v) : v));
}

interface Packed {
  [PACKED]: Kind;
  data: string;
  /** A lone number (NaN, an infinity or -0, which JSON cannot hold), not an array. */
  scalar?: true;
}

function pack(values: number[], scalar = false): Packed {
  const kind = narrowest(values);
  const typed = new ARRAYS[kind](values);
  const bytes = new Uint8Array(typed.buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { [PACKED]: kind, data: btoa(binary), ...(scalar ? { scalar } : {}) };
}

function narrowest(values: number[]): Kind {
  if (values.every((x) => Number.isInteger(x) && x >= 0 && x < 256 && !Object.is(x, -0))) return 'u8';
  if (values.every((x) => Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31 && !Object.is(x, -0))) return 'i32';
  if (values.every((x) => Object.is(Math.fround(x), x))) return 'f32';
  return 'f64';
}

function isPacked(v: unknown): v is Packed {
  return typeof v === 'object' && v !== null && PACKED in v;
}

function unpack(p: Packed): number[] | number {
  const binary = atob(p.data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const values = Array.from(new ARRAYS[p[PACKED]](bytes.buffer));
  return p.scalar ? values[0] : values;
}
