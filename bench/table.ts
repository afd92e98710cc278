/** One row of the bench table: a figure, the baseline it is compared with, Settle's value and the target. */
export interface BenchRow {
  figure: string;
  /** Baseline measured in the same run, with its unit; '—' when the target is absolute. */
  baseline: string;
  settle: string;
  /** Settle ÷ baseline in the direction the target reads (e.g. 0.42×), or '—'. */
  ratio: string;
  target: string;
  met: boolean;
  /** How it was measured, so a reader can repeat it. */
  note?: string;
}

export const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;
export const perSecond = (v: number) => `${v.toFixed(1)}/s`;
export const times = (v: number) => `${v.toFixed(2)}×`;

/** Percentile of an unsorted sample (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function renderTable(rows: BenchRow[]): string {
  const header = ['figure', 'baseline (same run)', 'Settle', 'ratio', 'target', 'met'];
  const lines = rows.map((r) => [r.figure, r.baseline, r.settle, r.ratio, r.target, r.met ? 'yes' : 'NO']);
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((l) => l[i]!.length)));
  const row = (l: string[]) => `| ${l.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [row(header), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row)].join('\n');
}
