/**
 * The first key that appears twice in the top-level object of `text`, which must be valid JSON (it
 * is scanned after JSON.parse accepted it), or null. JSON.parse keeps the last of two equal keys
 * without a word; for a file header that means one of two conflicting definitions silently wins.
 * Keys are compared decoded, so "a" and "\u0061" are the same key.
 */
export function duplicateTopLevelKey(text: string): string | null {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) {
      // A string: skip to its closing quote, stepping over escapes.
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
    } else if (ch === 0x7b || ch === 0x5b) {
      depth++;
      expectKey = depth === 1 && ch === 0x7b;
    } else if (ch === 0x7d || ch === 0x5d) {
      depth--;
    } else if (ch === 0x2c && depth === 1) {
      expectKey = true;
    }
  }
  return null;
}
