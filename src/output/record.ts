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

/** Task rows: task_name, then the record's fields less experiment_id, pue and wue (upstream's TaskEmissionsData). */
export const taskColumns = ['task_name', ...columns.filter((c) => c !== 'experiment_id' && c !== 'pue' && c !== 'wue'),
  'final', 'resolution', 'task_count'] as const;

/** ISO 8601 local time with its UTC offset, to the second. */
export function isoLocal(d: Date): string {
  const pad = (n: number): string => String(Math.trunc(Math.abs(n))).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:`
    + `${pad(d.getSeconds())}${off >= 0 ? '+' : '-'}${pad(off / 60)}:${pad(off % 60)}`;
}
