/** `npm run bench`: see scripts/bench/cli.ts for the options. */
import { benchCli } from './bench/cli.ts';

benchCli(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
