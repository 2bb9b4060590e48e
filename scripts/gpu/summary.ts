/**
 * The GPU run's closing table: one row per bench run recorded by `device.mjs bench --record`, the
 * figures issue #5 is judged on side by side (decode against llama.cpp and the copy roofline,
 * prefill of 512 tokens against llama.cpp).
 */
import type { BenchResult } from '../bench/run.ts';
import type { PeerResult } from '../bench/llama-cpp.ts';

export interface BenchRecord {
  label: string;
  result: BenchResult;
  peer: PeerResult | null;
}

function cell(ours: number | undefined, theirs: number | undefined, digits: number): string {
  if (ours === undefined) return '-';
  return theirs ? `${ours.toFixed(digits)} (x${(ours / theirs).toFixed(2)})` : ours.toFixed(digits);
}

/** A Markdown table, ready to paste into BENCHMARKS.md. */
export function summaryTable(records: BenchRecord[]): string {
  const head = ['run', 'decode @16 tok/s (x peer)', 'of roofline', 'sampled @16 tok/s', 'decode @long tok/s (x peer)', 'prefill tok/s by length (x peer)', 'prefill GEMM', 'peer on', 'launches/step', 'load s'];
  const rows = records.map(({ label, result: r, peer }) => {
    const roof = (tokS: number) => `${(((tokS * r.bytesPerToken) / r.bandwidthBytesPerS) * 100).toFixed(0)}%`;
    const d0 = r.decode[0];
    const dl = r.decode.at(-1)!;
    const prefill = r.prefill.map((p, i) => `${p.tokens}: ${cell(p.tokensPerS, peer?.prefill[i]?.tokensPerS, 0)}`).join(', ');
    return [
      label,
      cell(d0?.tokensPerS, peer?.decode[0]?.tokensPerS, 1),
      d0 ? roof(d0.tokensPerS) : '-',
      // R1's own settings (T 0.6, top-p 0.95): what a chat decodes at, the sampler included.
      r.decodeSampled.tokensPerS.toFixed(1),
      r.decode.length > 1 ? `@${dl.context}: ${cell(dl.tokensPerS, peer?.decode.at(-1)?.tokensPerS, 1)}` : '-',
      prefill,
      // Records from before the column have no prefillGemm.
      r.prefillGemm?.split(',')[0] ?? '-',
      peer ? `${peer.name}: ${peer.error ? 'failed (log.txt)' : peer.devices.join(', ') || 'CPU'}` : '-',
      String(r.dispatchesPerStep),
      (r.loadMs / 1000).toFixed(1),
    ];
  });
  const adapters = [...new Set(records.map((x) => `${x.result.adapter}, copy bandwidth ${(x.result.bandwidthBytesPerS / 1e9).toFixed(0)} GB/s`))];
  return [
    ...adapters.map((a) => `adapter: ${a}`),
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}
