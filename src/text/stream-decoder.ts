import type { TextTokenizer } from './tokenizer.ts';

/**
 * Turns a stream of token ids into text deltas. Byte-level tokens can end in the middle of a UTF-8
 * character (Chinese, emoji): those bytes are held back until the character is complete.
 */
export interface StreamDecoder {
  /** The text completed by this token: possibly empty, possibly characters begun by earlier tokens. */
  push(id: number): string;
  /** Whatever is still held back, decoded with replacement characters. */
  flush(): string;
}

/**
 * A decoder for one generated sequence; `flush` ends it and the next `push` starts afresh. `before`:
 * ids whose text was given already, which this sequence continues (an answer continued past its
 * token limit): a character they began comes out whole with the ids that finish it.
 */
export function createStreamDecoder(tokenizer: Pick<TextTokenizer, 'tokenBytes'>, before: readonly number[] = []): StreamDecoder {
  // ignoreBOM: a U+FEFF the model writes first is text; the default would silently drop it.
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  // A UTF-8 character is at most 4 bytes, and every id at least one: at most the last 3 ids can hold
  // the start of one left unfinished. Their own text was given already.
  for (const id of before.slice(-3)) decoder.decode(tokenizer.tokenBytes(id), { stream: true });
  return {
    push: (id) => decoder.decode(tokenizer.tokenBytes(id), { stream: true }),
    flush: () => decoder.decode(),
  };
}
