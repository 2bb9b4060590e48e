/**
 * How many characters at the end of `s` could be the start of one of `targets`: streamed text holds
 * them back until the next piece says whether the target follows (a `</think>` tag, a stop sequence).
 */
export function partialMatchLength(s: string, targets: readonly string[]): number {
  let keep = 0;
  for (const target of targets) {
    for (let k = Math.min(target.length - 1, s.length); k > keep; k--) {
      if (target.startsWith(s.slice(s.length - k))) {
        keep = k;
        break;
      }
    }
  }
  return keep;
}
