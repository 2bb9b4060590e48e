/**
 * GPT-2 byte-level BPE maps each byte to a printable character (bytes_to_unicode); token strings are
 * made of those characters. This undoes the map, so a token's exact bytes are known even when it
 * holds half of a UTF-8 character.
 */
function bytesToUnicode(): Map<number, string> {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  return new Map(bs.map((b, i) => [b, String.fromCodePoint(cs[i])]));
}

const UNICODE_TO_BYTE = new Map([...bytesToUnicode()].map(([b, c]) => [c, b]));

/** Bytes of a byte-level token string; null when a character is outside the byte alphabet. */
export function byteLevelBytes(token: string): Uint8Array | null {
  const out: number[] = [];
  for (const ch of token) {
    const b = UNICODE_TO_BYTE.get(ch);
    if (b === undefined) return null;
    out.push(b);
  }
  return Uint8Array.from(out);
}
