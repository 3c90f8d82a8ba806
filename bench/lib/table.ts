/** The one table of `npm run bench`: a row per target (or per figure printed for information). */
import type { Load } from './load.js';

export interface Row {
  /** short name used in the last line */
  id: string;
  target: string;
  /** this service under load */
  load?: Load;
  reference?: { label: string; load?: Load };
  /** the compared figure: a ratio, or a measured value with its unit */
  value?: string;
  goal?: string;
  /** responses other than the expected ones (default: non-2xx), for the non-2xx/err column */
  unexpected?: number;
  /** true/false: a target that holds or not; null: not measured (skipped, n/a) or information only */
  holds: boolean | null;
  /** a row with a goal that was not measured (skipped, n/a) is not counted */
  counted: boolean;
  note?: string;
}

const num = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n) ? '' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (n: number | undefined) => (n === undefined ? '' : `${n}`);

export function render(rows: Row[]): string {
  const header = [
    'target',
    'req/s',
    'p50 ms',
    'p99 ms',
    'non-2xx/err',
    'reference',
    'ref req/s',
    'ref p99',
    'ratio/value',
    'goal',
    'holds',
  ];
  const cells = rows.map((r) => [
    r.target,
    num(r.load?.rps),
    ms(r.load?.p50),
    ms(r.load?.p99),
    r.load ? `${r.unexpected ?? r.load.non2xx}/${r.load.errors}` : '',
    r.reference?.label ?? '',
    num(r.reference?.load?.rps),
    ms(r.reference?.load?.p99),
    r.value ?? '',
    r.goal ?? '',
    r.holds === true ? 'yes' : r.holds === false ? 'NO' : r.counted ? 'skip' : '-',
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c]!.length)));
  const numeric = new Set([1, 2, 3, 4, 6, 7, 8]);
  const line = (row: string[]) =>
    `| ${row.map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join(' | ')} |`;
  const sep = `|${widths.map((w, c) => (numeric.has(c) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  const out = [line(header), sep, ...cells.map(line)];
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.target}: ${r.note}`);
  if (notes.length) out.push('', 'notes:', ...notes);
  return out.join('\n');
}

export function verdict(rows: Row[]): string {
  const judged = rows.filter((r) => r.counted && r.holds !== null);
  const failing = judged.filter((r) => r.holds === false).map((r) => r.id);
  const notRun = rows.filter((r) => r.counted && r.holds === null).map((r) => r.id);
  return (
    `targets holding: ${judged.length - failing.length}/${judged.length} — ` +
    (failing.length ? `failing: ${failing.join(', ')}` : 'all hold') +
    (notRun.length ? ` (not measured: ${notRun.join(', ')})` : '')
  );
}
