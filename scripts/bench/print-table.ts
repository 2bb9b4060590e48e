import { nodeGpu } from '../lib/node-gpu.ts';

/** Runs a bench that makes one table on Dawn's GPU, prints it and exits (1, with the reason, on an error). */
export async function printTable(make: (dawn: GPU) => Promise<string>): Promise<void> {
  // Dawn's GPU object must outlive the device.
  const dawn = await nodeGpu();
  await make(dawn).then(
    (table) => {
      process.stdout.write(`${table}\n`);
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
