/**
 * The key a kept model is stored under: the same model typed two ways ("/demo-model" and
 * "http://host/demo-model/") is one entry. URLs become absolute, folders end in "/", and Hugging
 * Face repo ids become "hf:owner/name" or "hf:owner/name/file.gguf".
 */
import { ModelSourceError } from '../engine/model-files.ts';

export interface ModelKey {
  key: string;
  kind: 'gguf' | 'folder';
  /** Absolute URL of the .gguf file or of the folder (ending in "/"), or null for a Hugging Face id. */
  url: string | null;
  /** "owner/name" and the file in it, for Hugging Face ids. */
  hf: { repo: string; file: string | null } | null;
}

const HF_REPO = /^[\w.-]+\/[\w.-]+(\/.+)?$/;
const GGUF = /\.gguf(\?.*)?$/i;

export function modelKeyOf(source: string, base?: string): ModelKey {
  const s = source.trim();
  if (/^https?:\/\//i.test(s) || (base && /^\.{0,2}\//.test(s))) {
    const u = new URL(s, base);
    u.hash = '';
    const kind = GGUF.test(u.pathname) ? 'gguf' : 'folder';
    if (kind === 'folder' && !u.pathname.endsWith('/')) u.pathname += '/';
    return { key: u.href, kind, url: u.href, hf: null };
  }
  if (HF_REPO.test(s)) {
    const [owner, name, ...rest] = s.split('/');
    const file = rest.length ? rest.join('/') : null;
    if (file && !GGUF.test(file)) throw new ModelSourceError(`"${s}": only a .gguf file of a repo can be named; for a safetensors model give the repo id alone (${owner}/${name})`);
    return { key: `hf:${s}`, kind: file ? 'gguf' : 'folder', url: null, hf: { repo: `${owner}/${name}`, file } };
  }
  throw new ModelSourceError(`"${s}" is not a model location: give an https URL of a .gguf file or of a model folder, or a Hugging Face repo id such as deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B`);
}
