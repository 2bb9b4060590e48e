/**
 * npm run generate -- --model <gguf file | safetensors folder | URL | HF repo> [--prompt TEXT | --messages FILE.json]
 *   [--raw] [--max-new-tokens N] [--temperature T] [--top-p P] [--top-k K] [--seed S] [--context N] [--dry-run] [--json]
 *
 * Runs the very same engine code as the app (its Web Worker, in headless Chromium with WebGPU).
 * Local files are served to the page over HTTP with range requests, exactly like a remote model.
 * `--backend node` runs the engine in this process on Dawn (npm `webgpu`) instead: no browser needed,
 * a Vulkan driver is (VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json on a CPU machine).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { openBrowserPage } from './lib/browser.ts';
import { parseArgs, USAGE, UsageError } from './cli/args.ts';
import { runGenerate, type CliRequest, type CliResult } from './cli/run.ts';

async function main(): Promise<void> {
  const { req, messagesFile, json, backend } = parseArgs(process.argv.slice(2));
  if (messagesFile) {
    const parsed = JSON.parse(await readFile(messagesFile, 'utf8'));
    const messages = Array.isArray(parsed) ? parsed : parsed.messages;
    if (!Array.isArray(messages)) throw new UsageError(`${messagesFile} must hold a JSON array of {role, content} messages`);
    req.messages = messages;
  }
  if (backend === 'node') return printResult(await generateInNode(req, json), req, json);
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
    printResult(await page.evaluate((r) => window.cliRun(r), req), req, json);
  } finally {
    await session.close();
  }
}

/** --backend node: the same engine on Dawn (npm `webgpu`) in this process, no browser. */
async function generateInNode(req: CliRequest, json: boolean): Promise<CliResult> {
  const { nodeGpu } = await import('./lib/node-gpu.ts');
  const { createLocalEngine } = await import('../src/engine/local.ts');
  const { modelInputFromPath } = await import('../src/formats/source-node.ts');
  const model = await modelInputFromPath(req.model);
  const engine = createLocalEngine(req.dryRun ? undefined : await nodeGpu());
  try {
    const onText = json ? () => {} : (s: string) => void process.stdout.write(s);
    return await runGenerate(engine, model, req, onText, (s) => process.stderr.write(`\r${s}   `));
  } finally {
    await engine.unload();
  }
}

function printResult(result: CliResult, req: CliRequest, json: boolean): void {
  process.stderr.write('\n');
  if (json) process.stdout.write(JSON.stringify(result) + '\n');
  else if (req.dryRun) process.stdout.write(`${result.prompt}\n${JSON.stringify(result.prompt_ids)}\n`);
  else {
    const t = result.timings;
    process.stdout.write('\n');
    process.stderr.write(
      `[${result.ids.length} tokens, ${result.finish_reason}; prefill ${t.prefill_tokens_per_s?.toFixed(1)} tok/s, ` +
        `decode ${t.decode_tokens_per_s?.toFixed(1) ?? '-'} tok/s on ${result.adapter}]\n`,
    );
  }
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) process.stderr.write(`${e.message}\n${USAGE}\n`);
  else process.stderr.write(`error: ${e instanceof Error ? e.message.replace(/^page\.evaluate: /, '') : String(e)}\n`);
  process.exit(e instanceof UsageError ? 2 : 1);
});
