import type { RatioEstimate } from './stats';

/** A markdown table with padded columns, readable as plain text too. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]): string => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  return [
    line(cells[0]),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...cells.slice(1).map(line),
  ].join('\n');
}

export function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function verdict(met: boolean): string {
  return met ? 'met' : 'MISSED';
}

/** `0.940 (0.914–0.970)`: a ratio and its 95% interval, or the ratio alone when one round gives no interval. */
export function formatEstimate({ estimate, low, high }: RatioEstimate): string {
  const interval = Number.isFinite(low) ? ` (${low.toFixed(3)}–${high.toFixed(3)})` : '';
  return `${estimate.toFixed(3)}${interval}`;
}
