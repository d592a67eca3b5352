// How the harness's results read: joules with a unit, the CSV's columns, the notes a row carries.
import type { Task } from 'tinybench';
import type { TaskEnergy } from './index.js';

/** The CSV's columns, in order (csv()). */
export const csvColumns = ['task', 'runs', 'duration_s', 'latency_mean_ms', 'throughput_mean_ops_s', 'op_share', 'energy_j', 'energy_j_per_op',
  'cpu_j_per_op', 'gpu_j_per_op', 'ram_j_per_op', 'power_w', 'emissions_g_per_op', 'baseline_w', 'baseline_spread_w', 'dynamic_j_per_op',
  'dynamic_spread_j_per_op', 'resolution', 'measured', 'final', 'cpu_source', 'gpu_source', 'ram_source', 'carbon_intensity_g_co2e_kwh',
  'carbon_intensity_source', 'note'];

/** Joules with a unit a person reads at a glance. */
export function formatJoules(j: number): string {
  const a = Math.abs(j);
  if (a === 0) return '0 J';
  if (a >= 1) return `${j.toPrecision(3)} J`;
  if (a >= 1e-3) return `${(j * 1e3).toPrecision(3)} mJ`;
  if (a >= 1e-6) return `${(j * 1e6).toPrecision(3)} µJ`;
  return `${(j * 1e9).toPrecision(3)} nJ`;
}

/** A task's error in a few words: `Error: message`. */
export function errorText(task: Pick<Task, 'result'>): string {
  const e = (task.result as { error?: unknown }).error;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** What a dynamic figure of 0 means when the phase drew less than the baseline: not a measured 0. */
export function belowNote(r: TaskEnergy): string {
  return r.dynamic?.belowBaseline === true
    ? 'below the baseline: dynamic energy shown as 0 (the baseline was taken under more load than the task ran under; measure it again)' : '';
}
