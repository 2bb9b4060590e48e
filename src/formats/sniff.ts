/**
 * What a file that is not the expected format most likely is, from its first bytes, so the error can
 * say what went wrong: a Git LFS pointer (cloned without git-lfs), an HTML page (a Hugging Face
 * "blob" link instead of "resolve"), a JSON error body, or the other weight format.
 * Returns "" when the bytes say nothing useful.
 */
export function wrongFileHint(head: Uint8Array): string {
  const text = new TextDecoder().decode(head.subarray(0, 64)).trimStart();
  if (text.startsWith('version https://git-lfs')) return ': it is a Git LFS pointer, not the file itself (run "git lfs pull" or download it again)';
  if (/^<(!doctype|html)/i.test(text)) return ': it is an HTML page (for Hugging Face use a /resolve/ link, not /blob/)';
  if (text.startsWith('{')) return ': it is JSON text (an error page or a config file?)';
  if (text.startsWith('GGUF')) return ': it is a GGUF file';
  if (head.length >= 10 && head[8] === 0x7b && head[9] === 0x22) return ': it looks like a safetensors file';
  return '';
}
