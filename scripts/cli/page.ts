/**
 * The browser half of `npm run generate`: the real worker engine, driven by the Node script through
 * Playwright. Text streams back through `window.cliToken` as it is generated.
 */
import { createWorkerEngine } from '../../src/engine/client.ts';
import { runGenerate, type CliRequest, type CliResult } from './run.ts';

declare global {
  interface Window {
    cliRun(req: CliRequest): Promise<CliResult>;
    cliToken?(text: string): Promise<void>;
    cliProgress?(text: string): Promise<void>;
  }
}

window.cliRun = async (req) => {
  const engine = createWorkerEngine();
  try {
    return await runGenerate(
      engine,
      req.model,
      req,
      (s) => void window.cliToken?.(s),
      (s) => void window.cliProgress?.(s),
    );
  } finally {
    engine.terminate();
  }
};
