/** The browser half of `npm run bench`, driven by the Node script through Playwright. */
import { runBench, type BenchRequest, type BenchResult } from './run.ts';

declare global {
  interface Window {
    benchRun(model: string, req: BenchRequest): Promise<BenchResult>;
    benchLog?(line: string): Promise<void>;
  }
}

window.benchRun = (model, req) => runBench(model, req, (s) => void window.benchLog?.(s));
