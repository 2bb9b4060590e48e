/**
 * npm run generate -- --model <gguf file | safetensors folder | URL | HF repo> [--prompt TEXT | --messages FILE.json]
 *   [--raw] [--max-new-tokens N] [--temperature T] [--top-p P] [--top-k K] [--seed S] [--context N] [--dry-run] [--json]
 *
 * Runs the very same engine code as the app (its Web Worker, in headless Chromium with WebGPU).
 * Local files are served to the page over HTTP with range requests, exactly like a remote model.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { openBrowserPage } from './lib/browser.ts';
import type { CliRequest } from './cli/page.ts';

const USAGE = `usage: npm run generate -- --model <gguf file | safetensors folder | URL | HF repo>
  [--prompt TEXT | --messages FILE.json] [--raw] [--max-new-tokens N] [--temperature T]
  [--top-p P] [--top-k K] [--seed S] [--context N] [--dry-run] [--json]`;

class UsageError extends Error {}

const NUMBER_FLAGS = { '--max-new-tokens': 'maxNewTokens', '--temperature': 'temperature', '--top-p': 'topP', '--top-k': 'topK', '--seed': 'seed', '--context': 'contextLength' } as const;

export function parseArgs(argv: string[]): { req: CliRequest; messagesFile?: string; json: boolean } {
  const req: CliRequest = { model: '', raw: false, dryRun: false };
  let messagesFile: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--model') req.model = value();
    else if (flag === '--prompt') req.prompt = value();
    else if (flag === '--messages') messagesFile = value();
    else if (flag === '--raw') req.raw = true;
    else if (flag === '--dry-run') req.dryRun = true;
    else if (flag === '--json') json = true;
    else if (flag in NUMBER_FLAGS) {
      const v = Number(value());
      if (!Number.isFinite(v)) throw new UsageError(`${flag} needs a number, got "${argv[i]}"`);
      req[NUMBER_FLAGS[flag as keyof typeof NUMBER_FLAGS]] = v;
    } else throw new UsageError(`unknown option ${flag}`);
  }
  if (!req.model) throw new UsageError('--model is required');
  if (req.prompt === undefined && !messagesFile) throw new UsageError('give --prompt TEXT or --messages FILE.json');
  if (req.prompt !== undefined && messagesFile) throw new UsageError('give either --prompt or --messages, not both');
  if (messagesFile && req.raw) throw new UsageError('--raw takes a --prompt, not --messages');
  return { req, messagesFile, json };
}

async function main(): Promise<void> {
  const { req, messagesFile, json } = parseArgs(process.argv.slice(2));
  if (messagesFile) {
    const parsed = JSON.parse(await readFile(messagesFile, 'utf8'));
    const messages = Array.isArray(parsed) ? parsed : parsed.messages;
    if (!Array.isArray(messages)) throw new UsageError(`${messagesFile} must hold a JSON array of {role, content} messages`);
    req.messages = messages;
  }
  // A local path is served to the page; URLs and Hugging Face repo ids are opened by the page itself.
  const local = await stat(req.model).catch(() => null);
  let servedPath: string | undefined;
  if (local) {
    servedPath = path.resolve(req.model);
    req.model = local.isFile() ? `__SELF__/__model/${path.basename(servedPath)}` : '__SELF__/__model/';
  } else if (!/^https?:\/\//.test(req.model) && !/^[\w.-]+\/[\w.-]+/.test(req.model)) {
    throw new UsageError(`--model ${req.model}: no such file or folder`);
  }
  const session = await openBrowserPage('/scripts/cli/page.html', servedPath);
  try {
    req.model = req.model.replace('__SELF__', session.baseUrl);
    const { page } = session;
    page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
    await page.exposeFunction('cliProgress', (s: string) => process.stderr.write(`\r${s}   `));
    if (!json) await page.exposeFunction('cliToken', (s: string) => process.stdout.write(s));
    await page.waitForFunction(() => typeof window.cliRun === 'function');
    const result = await page.evaluate((r) => window.cliRun(r), req);
    process.stderr.write('\n');
    if (json) process.stdout.write(JSON.stringify(result) + '\n');
    else process.stdout.write('\n');
  } finally {
    await session.close();
  }
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) process.stderr.write(`${e.message}\n${USAGE}\n`);
  else process.stderr.write(`error: ${e instanceof Error ? e.message.replace(/^page\.evaluate: /, '') : String(e)}\n`);
  process.exit(e instanceof UsageError ? 2 : 1);
});
