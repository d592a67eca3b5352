// What codecarbon monitor prints: the live line while the machine is measured, then the report of the
// run and the exit status it ends with.
import { csvLine, headerLine, OutputError } from '../output/csv.js';
import { outputPath } from '../output/paths.js';
import { columns, type EmissionsRecord } from '../output/record.js';
import { methodsOf } from '../output/select.js';
import type { EmissionsTracker } from '../tracker.js';
import { exitIoError } from './usage.js';

/** Outputs that keep a run's record once monitor has ended (a scrape endpoint's scraper keeps its own). */
const keeping = new Set(['csv', 'api', 'prometheus']);

/** Four decimals, as upstream prints; a figure under 0.0001 in three significant digits, not as 0.0000. */
const figure = (x: number): string => (x === 0 || x >= 1e-4 ? x.toFixed(4) : x.toPrecision(3));
const wh = (kwh: unknown): string => `${figure(Number(kwh) * 1000)} Wh`;

/**
 * The line a terminal shows while the machine is measured: energy, power and emissions so far,
 * said to be estimates (est.) when a component's figure is, and incomplete when one's source has
 * stopped reading (the report at the end names which).
 */
export function liveLine(r: EmissionsRecord): string {
  const sources = [r.cpu_source, r.ram_source, r.gpu_source].map(String);
  const label = sources.some((s) => /\b(not measured|incomplete)\b/.test(s)) ? ' (incomplete)'
    : sources.some((s) => s.includes('(estimate)')) ? ' (est.)' : '';
  return `${wh(r.energy_consumed)}  ${(Number(r.cpu_power) + Number(r.ram_power) + Number(r.gpu_power)).toFixed(1)} W  `
    + `${figure(Number(r.emissions) * 1000)} g CO2eq${label}`;
}

/** How a run ended, as its report says it. */
export interface RunEnd {
  /** Where the row was written; null when no CSV is. */
  readonly csvPath?: string | null;
  /** Why the row could not be written (replaces the "written to" line). */
  readonly writeError?: Error | null;
  /** What the API or the Pushgateway did not receive, one line each. */
  readonly notSent?: readonly string[];
  /** The row was written at once on a later signal, without waiting for the location lookup or the uploads. */
  readonly cutShort?: boolean;
  /** How the command ended when it failed (`exit status 3`, `was ended by SIGKILL …`); none when it succeeded. */
  readonly status?: string | null;
}

/** The short report printed when the command ends. */
export function report(what: string, r: EmissionsRecord, end: RunEnd = {}): string {
  const { csvPath = null, writeError = null, notSent = [] } = end;
  return [
    `codecarbon: ${what} ran ${Number(r.duration).toFixed(2)} s${end.status == null ? '' : ` and ${end.status}`}`,
    `  CPU ${wh(r.cpu_energy).padStart(14)}  ${Number(r.cpu_power).toFixed(1)} W mean  ${r.cpu_source}`,
    `  RAM ${wh(r.ram_energy).padStart(14)}  ${Number(r.ram_power).toFixed(1)} W mean  ${r.ram_source}`,
    `  GPU ${wh(r.gpu_energy).padStart(14)}  ${r.gpu_source === 'none' ? 'no GPU measured'
      : `${Number(r.gpu_power).toFixed(1)} W mean  ${r.gpu_model}, ${Number(r.gpu_utilization_percent).toFixed(0)} % busy  ${r.gpu_source}`}`,
    `  emissions ${figure(Number(r.emissions) * 1000)} g CO2eq at ${Number(r.carbon_intensity_g_co2e_kwh).toFixed(1)} g/kWh`
      + ` (${r.carbon_intensity_source})`,
    // Code keeps the record in finalEmissionsData; here it is printed below instead.
    ...(writeError !== null ? [`  NOT written: ${writeError instanceof OutputError ? writeError.reason : writeError.message}`]
      : csvPath === null ? [] : [`  written to ${csvPath}`]),
    ...(end.cutShort === true ? ['  cut short by a signal: the row has what was known then (a location lookup not answered yet '
      + 'leaves the world average, as the intensity\'s source says); uploads under way were not waited for'] : []),
    ...notSent.map((n) => `  NOT sent: ${n}`),
  ].join('\n');
}

/**
 * The report of a stopped tracker, on stderr, and the exit status: `code`, unless it is 0 and the
 * row could not be written, or, with no CSV, sent (then 74, said on a last line, the row printed).
 */
export function finish(tracker: EmissionsTracker, what: string, code: number, how: Pick<RunEnd, 'cutShort' | 'status'> & { before?: string } = {}): number {
  const record = tracker.finalEmissionsData;
  const o = tracker.options;
  const failed = tracker.writeError;
  // What the API or the Pushgateway did not get: the record is lost with it when no CSV holds it.
  const notSent = tracker.undelivered();
  const lost = failed !== null || (notSent.length > 0 && !tracker.writesCsv);
  if (record !== null) {
    const csvPath = tracker.writesCsv ? outputPath(o.outputDir, o.outputFile) : null;
    console.error(`${how.before ?? ''}${report(what, record, { ...how, csvPath, writeError: failed, notSent })}`);
  }
  if (record !== null && !methodsOf(o).some((m) => keeping.has(m)) && !o.prometheusListenAddress) {
    const origin = tracker.origins[o.outputMethods === null || o.outputMethods === undefined ? 'saveToFile' : 'outputMethods'] ?? 'default';
    console.error(`  saved nowhere: no output that keeps the record is on (${o.outputMethods === null || o.outputMethods === undefined
      ? 'save_to_file is false' : `output_methods is ${JSON.stringify(methodsOf(o).join(','))}`}, from ${origin}); the figures above are all `
      + 'there is: add --output-methods csv (or save_to_file = true in the config) to keep them');
  }
  const verb = failed !== null ? 'written' : 'sent';
  if (lost && record !== null) {
    // The row would be lost with this process: it goes to stderr, ready to append to a CSV by hand.
    console.error(`  the row that was not ${verb} (a header line, then the row):\n${headerLine(columns)}${csvLine(columns.map((c) => record[c]))}`.trimEnd());
  }
  if (!lost || code !== 0) return code;
  console.error(`codecarbon: exit status ${exitIoError} (EX_IOERR): ${what} ran, but its row could not be ${verb}`);
  return exitIoError;
}
