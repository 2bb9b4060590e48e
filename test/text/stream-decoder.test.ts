import { describe, expect, it } from 'vitest';
import { r1TokenizerConfig, r1TokenizerJson } from '../../scripts/lib/r1-tokenizer.ts';
import { createStreamDecoder } from '../../src/text/stream-decoder.ts';
import { tokenizerFromHf } from '../../src/text/tokenizer.ts';
import { tokenCases } from './token-cases.ts';

/**
 * Streamed text must never show half a character: byte-level tokens that end inside a UTF-8
 * sequence are held until it completes, and then the character comes out whole.
 */
const tok = tokenizerFromHf(r1TokenizerJson(), r1TokenizerConfig());

/** Each pushed id's delta, then the flush. */
function stream(ids: number[], tokenizer: Parameters<typeof createStreamDecoder>[0] = tok): string[] {
  const d = createStreamDecoder(tokenizer);
  return [...ids.map((id) => d.push(id)), d.flush()];
}

/** A fake tokenizer whose tokens are the given byte strings, to cut characters anywhere. */
const pieces = (...bytes: number[][]) => ({ tokenBytes: (id: number) => Uint8Array.from(bytes[id]) });

describe('createStreamDecoder', () => {
  it('holds a CJK character split over two byte-level tokens until it is whole', () => {
    // 龘 (E9 BE 98) is no token of its own: the vocabulary has E9 BE and 98.
    const ids = tok.encode('龘', { addSpecialTokens: false });
    expect(ids).toHaveLength(2);
    expect(stream(ids)).toEqual(['', '龘', '']);
  });

  it('holds an emoji split over three tokens until it is whole', () => {
    // 🫠 (F0 9F AB A0) is F0 9F + AB + A0.
    const ids = tok.encode('a🫠b', { addSpecialTokens: false });
    const deltas = stream(ids);
    expect(deltas.join('')).toBe('a🫠b');
    expect(deltas.filter((d) => d.includes('🫠'))).toEqual(['🫠']);
    expect(deltas.join('')).not.toContain('\ufffd');
  });

  it('streams every reference text without a replacement character', () => {
    for (const { text } of tokenCases) {
      const deltas = stream(tok.encode(text, { addSpecialTokens: false }));
      expect(deltas.join(''), text).toBe(text.normalize('NFC'));
      for (const d of deltas) expect(d, text).not.toContain('\ufffd');
    }
  });

  it('passes added tokens through as their text', () => {
    expect(stream([151648, ...tok.encode('x', { addSpecialTokens: false }), 151649]).join('')).toBe('<think>x</think>');
  });

  it('joins a character cut at any byte', () => {
    // 中 = E4 B8 AD, 😀 = F0 9F 98 80.
    const fake = pieces([0xe4], [0xb8], [0xad, 0x41], [0xf0, 0x9f], [0x98], [0x80]);
    expect(stream([0, 1, 2, 3, 4, 5], fake)).toEqual(['', '', '中A', '', '', '😀', '']);
  });

  it('continuing earlier ids, finishes the character they began, and gives none of their text again', () => {
    // 中 = E4 B8 AD cut after its second byte, 😀 = F0 9F 98 80 after its first.
    const fake = pieces([0x41], [0xe4], [0xb8], [0xad, 0x42], [0xf0], [0x9f, 0x98, 0x80]);
    const continued = (before: number[], ids: number[]) => {
      const d = createStreamDecoder(fake, before);
      return [...ids.map((id) => d.push(id)), d.flush()];
    };
    expect(continued([0, 1, 2], [3])).toEqual(['中B', '']);
    expect(continued([0, 1, 2, 3, 4], [5])).toEqual(['😀', '']);
    // Ids that ended on a whole character leave nothing pending.
    expect(continued([0, 1, 2, 3], [0])).toEqual(['A', '']);
    expect(continued([], [3])).toEqual(['\ufffdB', '']);
  });

  it('keeps a leading U+FEFF (it is text, not a byte order mark)', () => {
    const fake = pieces([0xef, 0xbb, 0xbf], [0x41]);
    expect(stream([0, 1], fake).join('')).toBe('\ufeffA');
    // Same for the real token, and after a flush has ended one stream.
    const d = createStreamDecoder(tok);
    expect(d.push(3225) + d.flush() + d.push(3225)).toBe('\ufeff\ufeff');
  });

  it('flushes bytes that never completed as one replacement character', () => {
    expect(stream([0], pieces([0xe4, 0xb8]))).toEqual(['', '\ufffd']);
  });
});
