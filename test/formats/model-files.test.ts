import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesFromFileList, filesFromHfRepo, filesFromUrlBase, readJson } from '../../src/formats/model-files.ts';
import { filesFromDirectory } from '../../src/formats/source-node.ts';
import type { ByteSource } from '../../src/formats/source.ts';
import { formatError, serve, tempDir } from './helpers.ts';

/** Model folders: the same relative paths resolve over HTTP, on Hugging Face, in picked files and on disk. */
const text = async (src: ByteSource | null) => (src ? new TextDecoder().decode(await src.read(0, src.size)) : null);

/** A file that also carries the path a folder picker gives it. */
function picked(rel: string, body: string): File {
  const f = new File([body], rel.split('/').pop()!);
  Object.defineProperty(f, 'webkitRelativePath', { value: rel });
  return f;
}

const FILES: Record<string, string> = {
  '/m/config.json': '{"model_type":"qwen2"}',
  '/m/bad.json': '{"model_type": qwen2}',
  '/m/sub/dir/file name.txt': 'spaced',
};

const base = await serve((req, res) => {
  const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const body = FILES[p];
  if (body === undefined) return void res.writeHead(404).end();
  const bytes = new TextEncoder().encode(body);
  const m = req.headers.range?.match(/^bytes=(\d+)-(\d+)$/);
  if (!m) return void res.writeHead(200).end(bytes);
  const [s, e] = [Number(m[1]), Math.min(Number(m[2]), bytes.length - 1)];
  res.writeHead(206, { 'Content-Range': `bytes ${s}-${e}/${bytes.length}` }).end(bytes.subarray(s, e + 1));
});

describe('filesFromUrlBase', () => {
  it('opens files under the base, with or without a trailing slash, and null on 404', async () => {
    for (const b of [`${base}/m`, `${base}/m/`]) {
      const files = filesFromUrlBase(b);
      expect(files.name).toBe(b);
      expect(await text(await files.open('config.json'))).toBe(FILES['/m/config.json']);
      expect(await text(await files.open('sub/dir/file name.txt'))).toBe('spaced');
      expect(await files.open('tokenizer.json')).toBeNull();
    }
  });
});

describe('filesFromHfRepo', () => {
  it('builds resolve URLs for the repo and revision', async () => {
    const urls: string[] = [];
    const fake: typeof fetch = async (input) => {
      urls.push(String(input));
      return new Response(null, { status: 404 });
    };
    expect(await filesFromHfRepo('deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B', undefined, undefined, { fetch: fake }).open('config.json')).toBeNull();
    const pr = filesFromHfRepo('org/m', 'refs/pr/1', 'http://hub.test', { fetch: fake });
    expect(pr.name).toBe('org/m');
    await pr.open('model-00001-of-00002.safetensors');
    expect(urls).toEqual([
      'https://huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B/resolve/main/config.json',
      'http://hub.test/org/m/resolve/refs%2Fpr%2F1/model-00001-of-00002.safetensors',
    ]);
  });

  it('names a gated repo', async () => {
    const fake: typeof fetch = async () => new Response(null, { status: 401 });
    const e = await formatError(filesFromHfRepo('org/gated', 'main', 'http://hub.test', { fetch: fake }).open('config.json'));
    expect(e.message).toMatch(/answered HTTP 401 \(a gated or private model needs an access token\)/);
  });
});

describe('filesFromFileList', () => {
  it('matches a picked folder by path relative to it, before a deeper file of the same name', async () => {
    const files = filesFromFileList([
      picked('R1-1.5B/onnx/config.json', 'onnx'),
      picked('R1-1.5B/config.json', 'root'),
      picked('R1-1.5B/sub/model.safetensors', 'weights'),
    ]);
    expect(files.name).toBe('R1-1.5B');
    expect(await text(await files.open('config.json'))).toBe('root');
    expect(await text(await files.open('onnx/config.json'))).toBe('onnx');
    // A file in a subfolder is found by its path tail.
    expect(await text(await files.open('model.safetensors'))).toBe('weights');
    expect((await files.open('config.json'))!.name).toBe('R1-1.5B/config.json');
    expect(await files.open('tokenizer.json')).toBeNull();
  });

  it('matches dropped files (no relative path) by name', async () => {
    const files = filesFromFileList([new File(['{}'], 'config.json'), new File(['x'], 'model.safetensors')]);
    expect(files.name).toBe('local files');
    expect(await text(await files.open('config.json'))).toBe('{}');
    expect(await files.open('other.json')).toBeNull();
  });
});

describe('filesFromDirectory', () => {
  it('opens files by relative path and gives null for missing files and folders', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'sub', 'a.txt'), 'hello');
    const files = filesFromDirectory(dir);
    expect(files.name).toBe(dir);
    expect(await text(await files.open('sub/a.txt'))).toBe('hello');
    expect(await files.open('sub')).toBeNull();
    expect(await files.open('missing.json')).toBeNull();
  });
});

describe('readJson', () => {
  it('parses a file, gives null when absent, and names a file that is not JSON', async () => {
    const files = filesFromUrlBase(`${base}/m/`);
    expect(await readJson(files, 'config.json')).toEqual({ model_type: 'qwen2' });
    expect(await readJson(files, 'generation_config.json')).toBeNull();
    const e = await formatError(readJson(files, 'bad.json'));
    expect(e.file).toBe(`${base}/m/bad.json`);
    expect(e.message).toMatch(/bad\.json: is not valid JSON \(/);
  });
});
