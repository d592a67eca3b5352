// The emissions record: CodeCarbon's 38 CSV columns in upstream order, then this port's own.

/** CodeCarbon 3.3.0's EmissionsData fields, in file order. */
export const upstreamColumns = [
  'timestamp', 'project_name', 'run_id', 'experiment_id', 'duration', 'emissions', 'emissions_rate',
  'cpu_power', 'gpu_power', 'ram_power', 'cpu_energy', 'gpu_energy', 'ram_energy', 'energy_consumed',
  'water_consumed', 'country_name', 'country_iso_code', 'region', 'cloud_provider', 'cloud_region', 'os',
  'python_version', 'codecarbon_version', 'cpu_count', 'cpu_model', 'gpu_count', 'gpu_model', 'longitude',
  'latitude', 'ram_total_size', 'tracking_mode', 'cpu_utilization_percent', 'gpu_utilization_percent',
  'ram_utilization_percent', 'ram_used_gb', 'on_cloud', 'pue', 'wue',
] as const;

/** How each component was measured, and the intensity used with its source. */
export const extraColumns = [
  'cpu_source', 'gpu_source', 'ram_source', 'carbon_intensity_g_co2e_kwh', 'carbon_intensity_source',
  'carbon_intensity_dataset', 'carbon_intensity_year',
] as const;

export const columns = [...upstreamColumns, ...extraColumns] as const;

export type Column = (typeof columns)[number];

/**
 * One row: cumulative figures since start() (or a task's own). Units as upstream: duration s,
 * emissions kg CO2eq, emissions_rate kg/s, powers W (time-weighted means, PUE not applied),
 * energies kWh (PUE applied), water L, ram_total_size and ram_used_gb GiB.
 */
export type EmissionsRecord = { readonly [K in Column]: string | number };

/**
 * The fields the metrics outputs read (figures.ts, the scrape endpoint's info metric): a record's
 * figures and labels, not what is read off the machine at the record's moment (timestamp, utilization).
 */
export const metricColumns = [
  'project_name', 'run_id', 'experiment_id', 'duration', 'emissions', 'emissions_rate', 'cpu_power', 'gpu_power', 'ram_power',
  'cpu_energy', 'gpu_energy', 'ram_energy', 'energy_consumed', 'water_consumed', 'country_iso_code', 'region', 'cloud_provider',
  'cloud_region', 'os', 'codecarbon_version', 'cpu_model', 'gpu_model', 'tracking_mode', 'pue', 'cpu_source', 'gpu_source',
  'ram_source', 'carbon_intensity_g_co2e_kwh', 'carbon_intensity_source', 'carbon_intensity_dataset',
] as const satisfies readonly Column[];

/** A record's metric fields: what a scrape or a collection reads, built without reading the machine (RunOutput.metricRecord()). */
export type MetricRecord = { readonly [K in (typeof metricColumns)[number]]: string | number };

/**
 * Task rows: task_name, then the record's fields less experiment_id, pue and wue (upstream's
 * TaskEmissionsData), then this port's: whether the figures are final, how the interval was
 * measured (or `folded`), how many tasks the row sums, and what ended it (`stopTask`, or `stop` for
 * a task still open when its run stopped, closed at the stop mark).
 */
export const taskColumns = ['task_name', ...columns.filter((c) => c !== 'experiment_id' && c !== 'pue' && c !== 'wue'),
  'final', 'resolution', 'task_count', 'ended_by'] as const;

export type TaskColumn = (typeof taskColumns)[number];

/** One task's row (or a folded name's), as the task file has it. */
export type TaskRecord = { readonly [K in TaskColumn]: string | number };

/** The fields of a delta record that are differences (the rest are the total's). */
export const summedFields = ['duration', 'emissions', 'cpu_energy', 'gpu_energy', 'ram_energy', 'energy_consumed',
  'water_consumed'] as const;

/**
 * CodeCarbon's delta record: `total` less what `handed` says was handed out before, for the summed
 * fields; emissions_rate is Δemissions / Δduration; every other field is the total's. A figure
 * revised down (a provisional GPU value) gives 0, not a negative delta: the next deltas catch up.
 */
export function deltaRecord(total: EmissionsRecord, handed: Readonly<Record<(typeof summedFields)[number], number>> | null): EmissionsRecord {
  const d: Record<string, string | number> = { ...total };
  for (const f of summedFields) d[f] = Math.max(0, Number(total[f]) - (handed?.[f] ?? 0));
  const dt = d['duration'] as number;
  d['emissions_rate'] = dt > 0 ? (d['emissions'] as number) / dt : 0;
  return d as EmissionsRecord;
}

/** ISO 8601 local time with its UTC offset, to the second. */
export function isoLocal(d: Date): string {
  const pad = (n: number): string => String(Math.trunc(Math.abs(n))).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:`
    + `${pad(d.getSeconds())}${off >= 0 ? '+' : '-'}${pad(off / 60)}:${pad(off % 60)}`;
}
