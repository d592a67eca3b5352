// A run's CSV as a test reads it: the last row, by column.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../../src/output/csv.js';

/** The last row of `dir`/emissions.csv, by column. */
export function lastRow(dir: string): Record<string, string> {
  const [header, ...rows] = parseCsv(readFileSync(join(dir, 'emissions.csv'), 'utf8'));
  return Object.fromEntries(header!.map((c, i) => [c, rows.at(-1)![i]!]));
}

/** The rows of a CSV file as objects keyed by its header. */
export function rowsOf(path: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(readFileSync(path, 'utf8'));
  return rows.map((r) => Object.fromEntries(header!.map((c, i) => [c, r[i]!])));
}
