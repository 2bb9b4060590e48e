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

/** A decoder for one generated sequence; `flush` ends it and the next `push` starts afresh. */
export function createStreamDecoder(tokenizer: Pick<TextTokenizer, 'tokenBytes'>): StreamDecoder {
  // ignoreBOM: a U+FEFF the model writes first is text; the default would silently drop it.
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  return {
    push: (id) => decoder.decode(tokenizer.tokenBytes(id), { stream: true }),
    flush: () => decoder.decode(),
  };
}
