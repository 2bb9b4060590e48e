import type { CliRequest } from './run.ts';

/** Flags of `npm run generate`, parsed strictly: unknown flags and missing values are errors. */
export const USAGE = `usage: npm run generate -- --model <gguf file | safetensors folder | URL | HF repo>
  [--prompt TEXT | --messages FILE.json] [--raw] [--max-new-tokens N] [--temperature T]
  [--top-p P] [--top-k K] [--seed S] [--context N] [--quantize q4|fp8] [--activation-rounding checkpoint|off]
  [--dry-run] [--json] [--backend chromium|node]`;

/** Bad command-line flags: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

const NUMBER_FLAGS = { '--max-new-tokens': 'maxNewTokens', '--temperature': 'temperature', '--top-p': 'topP', '--top-k': 'topK', '--seed': 'seed', '--context': 'contextLength' } as const;

export function parseArgs(argv: string[]): { req: CliRequest; messagesFile?: string; json: boolean; backend: 'chromium' | 'node' } {
  const req: CliRequest = { model: '', raw: false, dryRun: false };
  let messagesFile: string | undefined;
  let json = false;
  let backend: 'chromium' | 'node' = 'chromium';
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
    else if (flag === '--quantize') {
      const q = value();
      if (q !== 'q4' && q !== 'fp8') throw new UsageError(`--quantize is q4 or fp8, not ${q}`);
      req.quantize = q;
    } else if (flag === '--activation-rounding') {
      const a = value();
      if (a !== 'checkpoint' && a !== 'off') throw new UsageError(`--activation-rounding is checkpoint or off, not ${a}`);
      req.activationRounding = a;
    } else if (flag === '--backend') {
      const b = value();
      if (b !== 'chromium' && b !== 'node') throw new UsageError(`--backend is chromium or node, not ${b}`);
      backend = b;
    }
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
  return { req, messagesFile, json, backend };
}

