import { FormatError } from './errors.ts';
import { GgufMetadata, type GgufValue } from './gguf.ts';

/**
 * Typed reads of GGUF metadata. Each getter throws a FormatError naming the file and the key when
 * the key is missing (unless a fallback is given) or holds another type, so a loader never
 * carries on with `undefined` or a string where it expected a count.
 */
type Md = ReadonlyMap<string, GgufValue>;

function fail(md: Md, key: string, want: string, v: GgufValue | undefined): never {
  const file = md instanceof GgufMetadata ? md.file : 'GGUF metadata';
  const got = v === undefined ? 'missing' : [describe(v), preview(v)].filter(Boolean).join(' ');
  throw new FormatError(file, `metadata "${key}" should be ${want} but is ${got}`);
}

function describe(v: GgufValue): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v === 'bigint' ? 'a 64-bit integer' : `a ${typeof v}`;
}

function preview(v: GgufValue): string {
  if (Array.isArray(v)) return '';
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return `(${s.length > 40 ? `${s.slice(0, 40)}…` : s})`;
}

function get<T>(md: Md, key: string, want: string, accept: (v: GgufValue) => T | undefined, fallback: T | undefined, hasFallback: boolean): T {
  const v = md.get(key);
  if (v === undefined && hasFallback) return fallback as T;
  const out = v === undefined ? undefined : accept(v);
  return out === undefined ? fail(md, key, want, v) : out;
}

const asNumber = (v: GgufValue) => (typeof v === 'number' ? v : typeof v === 'bigint' && v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : undefined);

/** A string value. */
export function ggufString(md: Md, key: string): string;
export function ggufString<F>(md: Md, key: string, fallback: F): string | F;
export function ggufString<F>(md: Md, key: string, ...fb: [F?]): string | F {
  return get<string | F>(md, key, 'a string', (v) => (typeof v === 'string' ? v : undefined), fb[0], fb.length > 0);
}

/** Any numeric value (u64/i64 accepted while they fit a double exactly). */
export function ggufNumber(md: Md, key: string): number;
export function ggufNumber<F>(md: Md, key: string, fallback: F): number | F;
export function ggufNumber<F>(md: Md, key: string, ...fb: [F?]): number | F {
  return get<number | F>(md, key, 'a number', asNumber, fb[0], fb.length > 0);
}

/** A whole number (a count, an id, a length). */
export function ggufInteger(md: Md, key: string): number;
export function ggufInteger<F>(md: Md, key: string, fallback: F): number | F;
export function ggufInteger<F>(md: Md, key: string, ...fb: [F?]): number | F {
  const accept = (v: GgufValue) => {
    const n = asNumber(v);
    return n !== undefined && Number.isInteger(n) ? n : undefined;
  };
  return get<number | F>(md, key, 'an integer', accept, fb[0], fb.length > 0);
}

/** A boolean value. */
export function ggufBool(md: Md, key: string): boolean;
export function ggufBool<F>(md: Md, key: string, fallback: F): boolean | F;
export function ggufBool<F>(md: Md, key: string, ...fb: [F?]): boolean | F {
  return get<boolean | F>(md, key, 'a boolean', (v) => (typeof v === 'boolean' ? v : undefined), fb[0], fb.length > 0);
}

/** An array of any element type. */
export function ggufArray(md: Md, key: string): GgufValue[];
export function ggufArray<F>(md: Md, key: string, fallback: F): GgufValue[] | F;
export function ggufArray<F>(md: Md, key: string, ...fb: [F?]): GgufValue[] | F {
  return get<GgufValue[] | F>(md, key, 'an array', (v) => (Array.isArray(v) ? v : undefined), fb[0], fb.length > 0);
}

/** An array of strings (a vocabulary, merges). */
export function ggufStringArray(md: Md, key: string): string[];
export function ggufStringArray<F>(md: Md, key: string, fallback: F): string[] | F;
export function ggufStringArray<F>(md: Md, key: string, ...fb: [F?]): string[] | F {
  const accept = (v: GgufValue) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined);
  return get<string[] | F>(md, key, 'an array of strings', accept, fb[0], fb.length > 0);
}

/** An array of numbers (token types, scores). */
export function ggufNumberArray(md: Md, key: string): number[];
export function ggufNumberArray<F>(md: Md, key: string, fallback: F): number[] | F;
export function ggufNumberArray<F>(md: Md, key: string, ...fb: [F?]): number[] | F {
  const accept = (v: GgufValue) => {
    if (!Array.isArray(v)) return undefined;
    const out = v.map(asNumber);
    return out.every((x) => x !== undefined) ? (out as number[]) : undefined;
  };
  return get<number[] | F>(md, key, 'an array of numbers', accept, fb[0], fb.length > 0);
}
