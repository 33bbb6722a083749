/**
 * One row of the results table: a figure of ours, optionally beside the baseline measured in
 * the same run, their ratio, and the target it is held to.
 */
export interface Figure {
  section: string;
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** value / baseline.value */
  ratio?: number;
  /** e.g. "≤ 1.3", "≥ 1", "< 200 MB"; absent for figures given for information */
  target?: string;
  met?: boolean;
}

/** What a benchmark contributed by another module (grouping, reuse) returns to the driver. */
export interface ExternalBenchResult {
  figures: Figure[];
  details?: unknown;
}

export interface ExternalBenchOptions {
  smoke: boolean;
  workDir: string;
  log: (line: string) => void;
}

export type SectionOutcome<T> = { ok: true; result: T } | { ok: false; skipped: string };

export interface BenchResults {
  mode: 'full' | 'smoke';
  startedAt: string;
  durationMs: number;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; kernel: string };
  notes: string[];
  sections: Record<string, SectionOutcome<unknown>>;
  figures: Figure[];
}

/** Checks a figure against its target, e.g. "≤ 1.3" on the ratio or "< 200" on the value. */
export function withTarget(figure: Figure, target: string, on: 'ratio' | 'value'): Figure {
  const match = /^(≤|<|≥|>)\s*([\d.]+)/.exec(target);
  const subject = on === 'ratio' ? figure.ratio : figure.value;
  if (!match || subject === undefined || !Number.isFinite(subject)) return { ...figure, target };
  const limit = Number(match[2]);
  const met =
    match[1] === '≤'
      ? subject <= limit
      : match[1] === '<'
        ? subject < limit
        : match[1] === '≥'
          ? subject >= limit
          : subject > limit;
  return { ...figure, target, met };
}

/** Table cells may hold pipes (tar|gzip): escaped, so they do not split the row. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return String(Number(value.toPrecision(3)));
}

/** The results as a markdown table (plus skipped sections and notes). */
export function renderMarkdown(results: BenchResults): string {
  const lines = [
    `Benchmark results (${results.mode} mode, ${results.startedAt}, ${Math.round(results.durationMs / 1000)} s; ` +
      `${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryGiB} GiB, Node ${results.machine.node})`,
    '',
    '| section | figure | ours | baseline (same run) | ratio | target |',
    '| --- | --- | ---: | --- | ---: | --- |',
  ];
  for (const f of results.figures) {
    const baseline = f.baseline ? `${f.baseline.name}: ${formatNumber(f.baseline.value)} ${f.unit}` : '';
    const ratio = f.ratio !== undefined ? `${formatNumber(f.ratio)}×` : '';
    const target = f.target ? `${f.target} ${f.met === undefined ? '' : f.met ? '✅' : '❌'}`.trim() : '';
    lines.push(
      `| ${cell(f.section)} | ${cell(f.name)} | ${formatNumber(f.value)} ${f.unit} | ${cell(baseline)} | ${ratio} | ${target} |`,
    );
  }
  const skipped = Object.entries(results.sections).filter(([, outcome]) => !outcome.ok);
  if (skipped.length > 0) {
    lines.push('', 'Skipped:');
    for (const [name, outcome] of skipped)
      lines.push(`- ${name}: ${(outcome as { skipped: string }).skipped}`);
  }
  if (results.notes.length > 0) {
    lines.push('', 'Notes:');
    for (const note of results.notes) lines.push(`- ${note}`);
  }
  return `${lines.join('\n')}\n`;
}
