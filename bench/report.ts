import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { say } from './output';

export interface Target {
  /** The measured value must be at least (`>=`) or at most (`<=`) this. */
  op: '>=' | '<=';
  value: number;
}

export type Verdict = 'PASS' | 'MISS' | 'info' | 'n/a';

/** One printed figure. `value` null: the scenario could not run (see `note`). */
export interface Figure {
  section: string;
  label: string;
  value: number | null;
  unit: string;
  target?: Target;
  /** Shown after the value: how it was measured, spread of runs, why it is missing. */
  note?: string;
  /** Digits after the decimal point when printed. */
  digits?: number;
}

export function verdictOf(figure: Figure): Verdict {
  if (figure.value === null || Number.isNaN(figure.value)) return 'n/a';
  if (!figure.target) return 'info';
  const { op, value } = figure.target;
  return (op === '>=' ? figure.value >= value : figure.value <= value) ? 'PASS' : 'MISS';
}

function formatNumber(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatValue(figure: Figure): string {
  if (figure.value === null || Number.isNaN(figure.value)) return '—';
  return `${formatNumber(figure.value, figure.digits ?? 0)} ${figure.unit}`;
}

function formatTarget(figure: Figure): string {
  if (!figure.target) return '';
  const digits = Number.isInteger(figure.target.value) ? 0 : (figure.digits ?? 1);
  return `${figure.target.op === '>=' ? '≥' : '≤'} ${formatNumber(figure.target.value, digits)} ${figure.unit}`;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - [...text].length));
}

/** The table on stdout: one block per section, each figure next to its target and verdict. */
export function printTable(figures: readonly Figure[]): void {
  const rows = figures.map((figure) => ({
    figure,
    cells: [figure.label, formatValue(figure), formatTarget(figure), verdictOf(figure)],
  }));
  const widths = [0, 1, 2, 3].map((column) =>
    Math.max(...rows.map((row) => [...(row.cells[column] as string)].length), 6),
  );
  const header = ['Figure', 'Measured', 'Target', 'Verdict'];
  const line = (cells: string[]): string =>
    cells.map((cell, column) => pad(cell, widths[column] as number)).join('  ');
  let section = '';
  say(line(header));
  say(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const { figure, cells } of rows) {
    if (figure.section !== section) {
      section = figure.section;
      say(`[${section}]`);
    }
    say(line(cells));
    if (figure.note) say(`    ${figure.note}`);
  }
}

export interface BenchResults {
  generatedAt: string;
  command: string;
  commit: string | null;
  machine: {
    node: string;
    platform: string;
    cpus: number;
    cpuModel: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
  };
  durationSeconds: number;
  figures: Array<Figure & { verdict: Verdict }>;
  details: Record<string, unknown>;
}

export function writeResults(file: string, results: BenchResults): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}
