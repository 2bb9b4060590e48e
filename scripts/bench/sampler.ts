/**
 * npm run bench:sampler — the token pick on its own (scripts/bench/sampler-table.ts says what is timed).
 * On a machine without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.
 */
import { nodeGpu } from '../lib/node-gpu.ts';
import { samplerTable } from './sampler-table.ts';

// Dawn's GPU object must outlive the device.
const dawn = await nodeGpu();
samplerTable(dawn).then(
  (table) => {
    process.stdout.write(`${table}\n`);
    process.exit(0);
  },
  (e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
