// The hosted CodeCarbon API's payloads: what POST /runs and POST /emissions carry, read off the
// records (CodeCarbon 3.3.0's CodeCarbonAPIOutput and api_client), and the run id in an answer.
import { num } from './figures.js';
import type { EmissionsRecord } from './record.js';

/** The delta fields the API sums over a run, and so must each reach it exactly once. */
export const sentFields = ['duration', 'emissions', 'cpu_energy', 'gpu_energy', 'ram_energy', 'energy_consumed'] as const;
export type Amounts = Record<(typeof sentFields)[number], number>;

export const zero = (): Amounts => ({ duration: 0, emissions: 0, cpu_energy: 0, gpu_energy: 0, ram_energy: 0, energy_consumed: 0 });

/**
 * Whole seconds in `durationS`. A sum of float deltas can fall a hair short of the whole second the
 * run reached (9.999999999999998 for 10), which would hold a second back until the next upload.
 */
export const wholeSeconds = (durationS: number): number => Math.floor(durationS + 1e-9);

/** A coordinate rounded to 1 decimal "for privacy", as upstream; 0 where there is none (an offline tracker). */
const coordinate = (v: string | number | undefined): number => Number(num(v).toFixed(1));

const percent = (v: string | number | undefined): number => Math.min(100, Math.max(0, num(v)));

/** The run's description for POST /runs: the machine from `latest`, the time from the first record. */
export function runBody(first: EmissionsRecord, latest: EmissionsRecord, experimentId: string): object {
  const r = latest;
  return {
    timestamp: String(first.timestamp), experiment_id: experimentId, os: String(r.os),
    python_version: String(r.python_version), codecarbon_version: String(r.codecarbon_version),
    cpu_count: num(r.cpu_count), cpu_model: String(r.cpu_model), gpu_count: num(r.gpu_count), gpu_model: String(r.gpu_model),
    longitude: coordinate(r.longitude), latitude: coordinate(r.latitude), region: String(r.region),
    provider: String(r.cloud_provider), ram_total_size: num(r.ram_total_size), tracking_mode: String(r.tracking_mode),
  };
}

/**
 * One upload for POST /emissions: the amounts sent, with the run-average powers and utilisations of
 * `latest`. `spanS` is the time the sent energy covers (`duration` is its whole seconds, as upstream's
 * int(); the rate is over the real span, as upstream's delta record).
 */
export function emissionsBody(runId: string, sent: Amounts, spanS: number, latest: EmissionsRecord): object {
  const r = latest;
  return {
    timestamp: String(r.timestamp), run_id: runId, duration: sent.duration, emissions_sum: sent.emissions,
    emissions_rate: spanS > 0 ? sent.emissions / spanS : 0,
    cpu_power: num(r.cpu_power), gpu_power: num(r.gpu_power), ram_power: num(r.ram_power),
    cpu_energy: sent.cpu_energy, gpu_energy: sent.gpu_energy, ram_energy: sent.ram_energy, energy_consumed: sent.energy_consumed,
    cpu_utilization_percent: percent(r.cpu_utilization_percent), gpu_utilization_percent: percent(r.gpu_utilization_percent),
    ram_utilization_percent: percent(r.ram_utilization_percent), wue: num(r.wue),
  };
}

/** The run id in a POST /runs answer, or null. */
export function runIdOf(text: string): string | null {
  try {
    const id = (JSON.parse(text) as { id?: unknown } | null)?.id;
    return typeof id === 'string' && id !== '' ? id : null;
  } catch {
    return null;
  }
}
