/**
 * Property-based fuzzing of both readers (fast-check, fixed seeds so a failure replays): thousands
 * of headers broken by byte flips, fields overwritten with boundary values, truncations, insertions
 * and deletions, and, for safetensors, JSON headers built from hostile values. Each file is read
 * twice: as it is, and from a source that claims to be 1 TiB (so that no count or length is stopped
 * by the file's real size). Every case must end in a FormatError naming the file or in a header
 * whose tensors all lie inside the file, within a time bound, never asking the source for more than
 * the format's header bound. The counts are printed at the end.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fromGguf } from '../../src/engine/model-files.ts';
import { renderPrompt } from '../../src/engine/prompt.ts';
import { FormatError } from '../../src/formats/errors.ts';
import { GGML_TYPE } from '../../src/formats/ggml-types.ts';
import { MAX_GGUF_HEADER_BYTES, readGguf } from '../../src/formats/gguf.ts';
import { writeGguf, type GgufWriteValue } from '../../src/formats/gguf-writer.ts';
import { readSafetensors } from '../../src/formats/safetensors.ts';
import { sourceFromBytes, type ByteSource } from '../../src/formats/source.ts';
import { bytesOf, GGUF_GOOD, HUGE, recordingSource, ST_GOOD, x, type RecordingSource } from './hostile.ts';

/** Seeds and run counts: well under 30 s for all of them on one core. */
const SEED = 20240601;
const RUNS = { ggufBytes: 6000, safetensorsBytes: 4000, safetensorsJson: 4000, ggufMetadata: 2000 };
/** A case slower than this counts as a hang (most take under 5 ms; one that reads 64 MiB of header, about 1 s). */
const CASE_MS = 2000;
/**
 * Thousands of parses a test: seconds alone, several times that on a loaded 2-core machine. The
 * per-case bound above catches a hang; this only keeps a slow machine from failing a correct run.
 */
const FUZZ_TIMEOUT_MS = 180_000;

interface Tally {
  cases: number;
  /** Cases that ended in the expected named error (FormatError for the readers). */
  formatErrors: number;
  valid: number;
  maxMs: number;
  maxReadBytes: number;
}
const tallies = new Map<string, Tally>();
afterAll(() => {
  const rows = [...tallies].map(([what, t]) => {
    const read = what.includes('metadata') ? '' : `; largest read ${t.maxReadBytes} bytes`;
    return `  ${what.padEnd(34)} ${String(t.cases).padStart(6)} cases: ${t.formatErrors} ${what.includes('metadata') ? 'named errors' : 'FormatError'}, ${t.valid} valid; slowest ${t.maxMs.toFixed(1)} ms${read}`;
  });
  console.log(`parser fuzzing (seed ${SEED}):\n${rows.join('\n')}`);
});

/** Reads `bytes` with `parse` from a source of `size` bytes and checks the outcome; records it under `what`. */
type Located = { tensors: { offset: number; byteLength: number; source: ByteSource }[] };

async function check(what: string, bytes: Uint8Array, size: number, maxRead: number, parse: (src: RecordingSource) => Promise<Located>): Promise<void> {
  const t = tallies.get(what) ?? { cases: 0, formatErrors: 0, valid: 0, maxMs: 0, maxReadBytes: 0 };
  tallies.set(what, t);
  const src = recordingSource(bytes, 'fuzzed', size, maxRead);
  const t0 = performance.now();
  const outcome = await parse(src).then(
    (file) => ({ file }),
    (error: unknown) => ({ error }),
  );
  const ms = performance.now() - t0;
  t.cases++;
  t.maxMs = Math.max(t.maxMs, ms);
  t.maxReadBytes = Math.max(t.maxReadBytes, src.maxReadBytes);
  expect(ms, 'time to parse').toBeLessThan(CASE_MS);
  expect(src.maxReadBytes).toBeLessThanOrEqual(maxRead);
  if ('error' in outcome) {
    // Anything but a FormatError naming the file (a TypeError, a RangeError, the source's refusal) fails.
    if (!(outcome.error instanceof FormatError)) throw outcome.error;
    expect(outcome.error.message.startsWith('fuzzed: ')).toBe(true);
    t.formatErrors++;
  } else {
    for (const tensor of outcome.file.tensors) {
      expect(Number.isSafeInteger(tensor.offset) && Number.isSafeInteger(tensor.byteLength)).toBe(true);
      expect(tensor.offset >= 0 && tensor.offset + tensor.byteLength <= size).toBe(true);
      // Small tensors are read as the loader reads them: their bytes, or a FormatError (a NaN scale).
      if (tensor.byteLength <= 1 << 16) {
        await tensor.source.read(tensor.offset, tensor.byteLength).catch((e: unknown) => {
          if (!(e instanceof FormatError)) throw e;
        });
      }
    }
    t.valid++;
  }
}

// ---- mutations of a binary file ----

/** Values that sit on a boundary of some check: 0, powers of two and their neighbours, 2^53, 2^64 - 1. */
const BOUNDARY = [0n, 1n, 2n, 7n, 8n, 31n, 32n, 0x7fn, 0x80n, 0xffn, 0x100n, 0xffffn, 2n ** 23n, 2n ** 23n + 1n, 2n ** 26n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 40n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n];

/** One edit of a file: data rather than closures, so that a failing case prints readably. */
type Mutation =
  | { set: number; byte: number }
  | { write: number; width: number; value: bigint }
  | { cut: number }
  | { insert: number; bytes: Uint8Array }
  | { remove: number; count: number };

/** Mutations aimed at the first `headerBytes` bytes (where the parser reads), any width, any value. */
function mutations(headerBytes: number, fileBytes: number): fc.Arbitrary<Mutation[]> {
  const at = fc.integer({ min: 0, max: headerBytes - 1 });
  const value = fc.oneof(fc.constantFrom(...BOUNDARY, BigInt(fileBytes), BigInt(fileBytes + 1), BigInt(MAX_GGUF_HEADER_BYTES)), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
  const one: fc.Arbitrary<Mutation> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ set: at, byte: fc.integer({ min: 0, max: 255 }) }) },
    { weight: 4, arbitrary: fc.record({ write: at, width: fc.constantFrom(1, 2, 4, 8), value }) },
    fc.record({ cut: fc.integer({ min: 0, max: fileBytes }) }),
    fc.record({ insert: at, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ remove: at, count: fc.integer({ min: 1, max: 16 }) }),
  );
  return fc.array(one, { minLength: 1, maxLength: 4 });
}

function mutate(b: Uint8Array, m: Mutation): Uint8Array {
  if ('cut' in m) return b.slice(0, m.cut);
  if ('insert' in m) {
    const p = Math.min(m.insert, b.length);
    const out = new Uint8Array(b.length + m.bytes.length);
    out.set(b.subarray(0, p));
    out.set(m.bytes, p);
    out.set(b.subarray(p), p + m.bytes.length);
    return out;
  }
  if ('remove' in m) {
    const p = Math.min(m.remove, b.length);
    return Uint8Array.from([...b.subarray(0, p), ...b.subarray(Math.min(b.length, p + m.count))]);
  }
  const out = b.slice();
  if ('set' in m) {
    if (m.set < out.length) out[m.set] = m.byte;
    return out;
  }
  for (let i = 0; i < m.width && m.write + i < out.length; i++) out[m.write + i] = Number((m.value >> BigInt(8 * i)) & 0xffn);
  return out;
}

const apply = (bytes: Uint8Array, ms: Mutation[]) => ms.reduce(mutate, bytes);

describe('fuzzing readGguf', () => {
  it(`${RUNS.ggufBytes} mutated files, each read at its size and as 1 TiB: a FormatError or tensors inside the file, fast`, async () => {
    const headerBytes = (await readGguf(recordingSource(GGUF_GOOD, 'good'))).dataOffset;
    await fc.assert(
      fc.asyncProperty(mutations(headerBytes, GGUF_GOOD.length), async (ms) => {
        const bytes = apply(GGUF_GOOD, ms);
        await check('GGUF, bytes as they are', bytes, bytes.length, MAX_GGUF_HEADER_BYTES, readGguf);
        await check('GGUF, claiming 1 TiB', bytes, HUGE, MAX_GGUF_HEADER_BYTES, readGguf);
      }),
      { numRuns: RUNS.ggufBytes, seed: SEED },
    );
  }, FUZZ_TIMEOUT_MS);
});

describe('fuzzing readSafetensors', () => {
  // The format's own bound: a header of at most 100,000,000 bytes (read whole, after the length).
  const MAX_READ = 100_000_000 + 64;

  it(`${RUNS.safetensorsBytes} mutated files (length prefix and JSON bytes), at their size and as 1 TiB`, async () => {
    const headerBytes = 8 + Number(new DataView(ST_GOOD.buffer, ST_GOOD.byteOffset).getBigUint64(0, true));
    await fc.assert(
      fc.asyncProperty(mutations(headerBytes, ST_GOOD.length), async (ms) => {
        const bytes = apply(ST_GOOD, ms);
        await check('safetensors, bytes as they are', bytes, bytes.length, MAX_READ, readSafetensors);
        await check('safetensors, claiming 1 TiB', bytes, HUGE, MAX_READ, readSafetensors);
      }),
      { numRuns: RUNS.safetensorsBytes, seed: SEED },
    );
  }, FUZZ_TIMEOUT_MS);

  /** A number on some boundary, or any JSON value at all. */
  const hostileNumber = fc.oneof(
    fc.constantFrom(0, 1, -1, 0.5, -0, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e308, Number.MAX_VALUE),
    fc.integer({ min: 0, max: 64 }),
    fc.double(),
  );
  const dims = fc.oneof(fc.array(fc.oneof(fc.integer({ min: 0, max: 8 }), hostileNumber), { maxLength: 5 }), fc.jsonValue());
  const entry = fc.oneof(
    { weight: 4, arbitrary: fc.record({ dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'F8_E4M3', 'BOOL', 'F12', 'constructor', '__proto__', 'toString'), fc.jsonValue()), shape: dims, data_offsets: dims }, { requiredKeys: [] }) },
    fc.jsonValue(),
  );
  const name = fc.oneof(fc.constantFrom('w', 'v', '__metadata__', '__proto__', 'constructor', 'hasOwnProperty', ''), fc.string({ maxLength: 12 }));
  const header = fc.array(fc.tuple(name, entry), { maxLength: 6 });
  /** Text-level damage on top: a cut, a repeated slice (duplicate keys), stray characters. */
  const textEdit = fc.oneof(
    fc.constant((s: string) => s),
    fc.integer({ min: 0, max: 400 }).map((n) => (s: string) => s.slice(0, n)),
    fc.tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 80 })).map(([at, n]) => (s: string) => s.slice(0, at) + s.slice(Math.max(1, at - n), at) + s.slice(at)),
    fc.tuple(fc.integer({ min: 0, max: 400 }), fc.string({ maxLength: 6 })).map(([at, t]) => (s: string) => s.slice(0, at) + t + s.slice(at)),
  );

  it(`${RUNS.safetensorsJson} headers built from hostile JSON values, with duplicate keys and cut text`, async () => {
    await fc.assert(
      fc.asyncProperty(header, textEdit, fc.integer({ min: 0, max: 300 }), async (entries, edit, dataBytes) => {
        // Entries joined by hand so that repeated names stay repeated (JSON.stringify would merge them).
        const text = edit(`{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v) ?? 'null'}`).join(', ')}}`);
        const json = new TextEncoder().encode(text);
        const bytes = new Uint8Array(8 + json.length + dataBytes).fill(0x3c, 8 + json.length);
        new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
        bytes.set(json, 8);
        await check('safetensors, hostile JSON headers', bytes, bytes.length, MAX_READ, readSafetensors);
      }),
      { numRuns: RUNS.safetensorsJson, seed: SEED },
    );
  }, FUZZ_TIMEOUT_MS);
});

/**
 * One level up: metadata values of every type and shape given to the config and tokenizer builders
 * (and the chat template to the renderer) through fromGguf. Each must end in a bundle that tokenizes
 * or in one of the named errors the page explains, never a TypeError.
 */
describe('fuzzing GGUF metadata through fromGguf', () => {
  const NAMED = ['FormatError', 'ModelSourceError', 'UnsupportedModelError', 'TokenizerError', 'UnsupportedTokenizerError', 'TemplateError'];
  const TOKENS = ['a', 'b', 'ab', '\u0120', '\u0120a', '<｜end▁of▁sentence｜>', '<think>'];
  const BASE: [string, GgufWriteValue][] = [
    ['general.architecture', { type: 'string', value: 'qwen2' }],
    ['qwen2.block_count', { type: 'u32', value: 1 }],
    ['qwen2.context_length', { type: 'u32', value: 128 }],
    ['qwen2.embedding_length', { type: 'u32', value: 16 }],
    ['qwen2.feed_forward_length', { type: 'u32', value: 32 }],
    ['qwen2.attention.head_count', { type: 'u32', value: 2 }],
    ['qwen2.attention.head_count_kv', { type: 'u32', value: 1 }],
    ['qwen2.rope.freq_base', { type: 'f32', value: 10000 }],
    ['qwen2.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-6 }],
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: 'deepseek-r1-qwen' }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: TOKENS }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', value: [1, 1, 1, 1, 1, 3, 4] }],
    ['tokenizer.ggml.merges', { type: 'array', itemType: 'string', value: ['a b', '\u0120 a'] }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: 5 }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 5 }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.chat_template', { type: 'string', value: "{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}{% endfor %}" }],
  ];
  const EXTRA_KEYS = ['qwen2.vocab_size', 'qwen2.attention.key_length', 'qwen2.rope.scaling.type', 'qwen2.rope.scaling.factor', 'tokenizer.ggml.eot_token_id', 'tokenizer.ggml.add_eos_token', 'general.name', 'general.alignment'];
  const EMBED = { name: 'token_embd.weight', ggmlType: GGML_TYPE.F32, shape: [64, 16], data: bytesOf(new Float32Array(1024).fill(x[0])) };

  const int = fc.oneof(fc.constantFrom(0, 1, 2, 5, 6, 7, 16, 63, 64, 65, 1000, 2 ** 31 - 1), fc.integer({ min: 0, max: 2 ** 31 - 1 }));
  const text = fc.oneof(fc.constantFrom('', 'qwen2', 'llama', 'qwen3', 'gpt2', 'llama-bpe', 'yarn', 'none', 'a b', '{{', '{% for %}', '{{ raise_exception("x") }}', '__proto__', 'constructor'), fc.string({ maxLength: 12 }));
  const value: fc.Arbitrary<GgufWriteValue> = fc.oneof(
    int.map((v) => ({ type: 'u32', value: v }) as const),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((v) => ({ type: 'i32', value: v }) as const),
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => ({ type: 'u64', value: v }) as const),
    fc.oneof(fc.double({ noNaN: false }).map(Math.fround), fc.constantFrom(0, -1, 1e-6, 1e38, Infinity, NaN)).map((v) => ({ type: 'f32', value: v }) as const),
    fc.boolean().map((v) => ({ type: 'bool', value: v }) as const),
    text.map((v) => ({ type: 'string', value: v }) as const),
    fc.array(text, { maxLength: 9 }).map((v) => ({ type: 'array', itemType: 'string', value: v }) as const),
    fc.array(fc.integer({ min: -5, max: 70 }), { maxLength: 9 }).map((v) => ({ type: 'array', itemType: 'i32', value: v }) as const),
    fc.array(fc.boolean(), { maxLength: 4 }).map((v) => ({ type: 'array', itemType: 'bool', value: v }) as const),
  );
  const edit = fc.oneof(
    fc.record({ at: fc.integer({ min: 0, max: BASE.length - 1 }), value }),
    fc.record({ drop: fc.integer({ min: 0, max: BASE.length - 1 }) }),
    fc.record({ add: fc.constantFrom(...EXTRA_KEYS), value }),
  );

  it(`${RUNS.ggufMetadata} files with metadata of the wrong type, missing or out of range: a bundle or a named error`, async () => {
    const t: Tally = { cases: 0, formatErrors: 0, valid: 0, maxMs: 0, maxReadBytes: 0 };
    tallies.set('GGUF metadata -> config, tokenizer', t);
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), async (edits) => {
        const md = new Map(BASE);
        for (const e of edits) {
          if ('drop' in e) md.delete(BASE[e.drop][0]);
          else if ('add' in e) md.set(e.add, e.value);
          else md.set(BASE[e.at][0], e.value);
        }
        // general.alignment must stay a multiple of 8 for the writer; the reader's own check is tested elsewhere.
        if (md.has('general.alignment')) md.set('general.alignment', { type: 'u32', value: 64 });
        const file = writeGguf([...md], [EMBED]);
        const t0 = performance.now();
        const outcome = await fromGguf(sourceFromBytes(file, 'fuzzed.gguf'), 'fuzzed.gguf').then(
          (bundle) => {
            const ids = bundle.tokenizer.encode('ab a <think>', { addSpecialTokens: true });
            expect(ids.every((id) => Number.isSafeInteger(id) && id >= 0 && id < bundle.config.vocabSize)).toBe(true);
            bundle.tokenizer.decode(ids);
            if (bundle.chatTemplate !== null) renderPrompt(bundle, [{ role: 'user', content: 'hi' }]);
            return null;
          },
        ).catch((e: unknown) => e);
        const ms = performance.now() - t0;
        t.cases++;
        t.maxMs = Math.max(t.maxMs, ms);
        expect(ms).toBeLessThan(CASE_MS);
        if (outcome === null) t.valid++;
        else {
          if (!(outcome instanceof Error) || !NAMED.includes(outcome.name)) throw outcome;
          t.formatErrors++;
        }
      }),
      { numRuns: RUNS.ggufMetadata, seed: SEED },
    );
  }, FUZZ_TIMEOUT_MS);
});
