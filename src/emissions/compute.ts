// From energies per component to an emissions record: kWh with PUE, kg CO2eq, water, mean powers.
import type { ChannelInfo } from '../sources/source.js';
import { sourceText, type Intensity } from './intensity.js';
import { isoLocal, type EmissionsRecord, type MetricRecord } from '../output/record.js';

/** µJ per kWh (exact; upstream rounds 1 J to 2.77778e-7 kWh, 0.0002 % off). */
export const ujPerKwh = 3.6e12;

/** Energy of one interval per component, in µJ, and how each component was measured. */
export interface ComponentEnergy {
  readonly cpuUj: number;
  readonly gpuUj: number;
  readonly ramUj: number;
  readonly cpuSource: string;
  readonly gpuSource: string;
  readonly ramSource: string;
}

/** What a record says that is neither its energy nor read off the machine at its moment: the run's setting. */
export interface RunSetting {
  readonly projectName: string;
  readonly runId: string;
  readonly experimentId: string;
  readonly trackingMode: string;
  readonly pue: number;
  readonly wue: number;
  readonly intensity: Intensity;
  readonly region: string;
  readonly latitude: number | null;
  readonly longitude: number | null;
  readonly cloudProvider: string;
  readonly cloudRegion: string;
  readonly machine: {
    readonly os: string; readonly runtime: string; readonly version: string; readonly cpuCount: number;
    readonly cpuModel: string; readonly gpuCount: number; readonly gpuModel: string; readonly ramTotalGiB: number;
  };
}

/** Everything a record says that is not energy: its run's setting, and the moment's timestamp and utilisation. */
export interface RecordContext extends RunSetting {
  readonly timestamp: Date;
  readonly utilisation: { readonly cpuPercent: number; readonly gpuPercent: number; readonly ramPercent: number; readonly ramUsedGiB: number };
}

/** The fields of a record that depend on its energy, in CSV column names. */
export type EnergyFields = Pick<EmissionsRecord, 'duration' | 'emissions' | 'emissions_rate' | 'cpu_power' | 'gpu_power'
  | 'ram_power' | 'cpu_energy' | 'gpu_energy' | 'ram_energy' | 'energy_consumed' | 'water_consumed'>;

/** The order in which fillEnergyFields() writes an interval's figures. */
export const energyFieldOrder = ['duration', 'emissions', 'emissions_rate', 'cpu_power', 'gpu_power', 'ram_power', 'cpu_energy',
  'gpu_energy', 'ram_energy', 'energy_consumed', 'water_consumed'] as const;

/**
 * energyFields() into `out`, in energyFieldOrder: no object and no boxed number, for the many task
 * rows of a write (its code runs before V8 has optimized it).
 */
export function fillEnergyFields(out: Float64Array, durationS: number, cpuUj: number, gpuUj: number, ramUj: number,
  pue: number, gCo2ePerKwh: number, wue: number): void {
  const cpu = (cpuUj / ujPerKwh) * pue;
  const gpu = (gpuUj / ujPerKwh) * pue;
  const ram = (ramUj / ujPerKwh) * pue;
  const energy = cpu + gpu + ram;
  const emissions = (energy * gCo2ePerKwh) / 1000;
  const timed = durationS > 0;
  out[0] = durationS;
  out[1] = emissions;
  out[2] = timed ? emissions / durationS : 0;
  out[3] = timed ? cpuUj / 1e6 / durationS : 0;
  out[4] = timed ? gpuUj / 1e6 / durationS : 0;
  out[5] = timed ? ramUj / 1e6 / durationS : 0;
  out[6] = cpu;
  out[7] = gpu;
  out[8] = ram;
  out[9] = energy;
  out[10] = energy * wue;
}

const fields = new Float64Array(energyFieldOrder.length);

/** Energies (kWh, PUE applied), mean powers (W, without PUE), emissions (kg) and water (L) of an interval. */
export function energyFields(durationS: number, cpuUj: number, gpuUj: number, ramUj: number,
  pue: number, gCo2ePerKwh: number, wue: number): EnergyFields {
  const f = fields;
  fillEnergyFields(f, durationS, cpuUj, gpuUj, ramUj, pue, gCo2ePerKwh, wue);
  return {
    duration: f[0]!, emissions: f[1]!, emissions_rate: f[2]!, cpu_power: f[3]!, gpu_power: f[4]!, ram_power: f[5]!,
    cpu_energy: f[6]!, gpu_energy: f[7]!, ram_energy: f[8]!, energy_consumed: f[9]!, water_consumed: f[10]!,
  };
}

/**
 * The record of an interval of `durationS` seconds. Energies are kWh with PUE applied, powers are
 * time-weighted means in W without PUE (as upstream), emissions kg = kWh × g/kWh ÷ 1000.
 */
export function buildRecord(durationS: number, e: ComponentEnergy, c: RecordContext): EmissionsRecord {
  const onCloud = c.cloudProvider !== '' && c.cloudRegion !== '';
  return {
    timestamp: isoLocal(c.timestamp), project_name: c.projectName, run_id: c.runId, experiment_id: c.experimentId,
    ...energyFields(durationS, e.cpuUj, e.gpuUj, e.ramUj, c.pue, c.intensity.gCo2ePerKwh, c.wue),
    country_name: c.intensity.countryName ?? '', country_iso_code: c.intensity.countryIsoCode ?? '',
    region: c.region.toLowerCase(), cloud_provider: c.cloudProvider, cloud_region: c.cloudRegion,
    os: c.machine.os, python_version: c.machine.runtime, codecarbon_version: c.machine.version,
    cpu_count: c.machine.cpuCount, cpu_model: c.machine.cpuModel, gpu_count: c.machine.gpuCount, gpu_model: c.machine.gpuModel,
    longitude: c.longitude ?? '', latitude: c.latitude ?? '', ram_total_size: c.machine.ramTotalGiB, tracking_mode: c.trackingMode,
    cpu_utilization_percent: c.utilisation.cpuPercent, gpu_utilization_percent: c.utilisation.gpuPercent,
    ram_utilization_percent: c.utilisation.ramPercent, ram_used_gb: c.utilisation.ramUsedGiB,
    on_cloud: onCloud ? 'Y' : 'N', pue: c.pue, wue: c.wue,
    cpu_source: e.cpuSource, gpu_source: e.gpuSource, ram_source: e.ramSource,
    carbon_intensity_g_co2e_kwh: c.intensity.gCo2ePerKwh, carbon_intensity_source: sourceText(c.intensity),
    carbon_intensity_dataset: c.intensity.dataset, carbon_intensity_year: c.intensity.year ?? '',
  };
}

/**
 * The metric fields of the record buildRecord() makes from the same energy and setting, each
 * computed as there (test/output-scrape-figures.test.ts holds them equal), without a context's
 * moment: no timestamp, no utilisation read off /proc, so a scrape reads no file.
 */
export function metricFields(durationS: number, e: ComponentEnergy, s: RunSetting): MetricRecord {
  return {
    project_name: s.projectName, run_id: s.runId, experiment_id: s.experimentId,
    ...energyFields(durationS, e.cpuUj, e.gpuUj, e.ramUj, s.pue, s.intensity.gCo2ePerKwh, s.wue),
    country_iso_code: s.intensity.countryIsoCode ?? '', region: s.region.toLowerCase(), cloud_provider: s.cloudProvider,
    cloud_region: s.cloudRegion, os: s.machine.os, codecarbon_version: s.machine.version, cpu_model: s.machine.cpuModel,
    gpu_model: s.machine.gpuModel, tracking_mode: s.trackingMode, pue: s.pue, cpu_source: e.cpuSource, gpu_source: e.gpuSource,
    ram_source: e.ramSource, carbon_intensity_g_co2e_kwh: s.intensity.gCo2ePerKwh,
    carbon_intensity_source: sourceText(s.intensity), carbon_intensity_dataset: s.intensity.dataset,
  };
}

/** How each component of a channel list is measured, as rows say it (made once per list). */
const labelsOf = new WeakMap<readonly ChannelInfo[], { cpu: string; gpu: string; ram: string }>();

function sourceLabels(channels: readonly ChannelInfo[]): { cpu: string; gpu: string; ram: string } {
  let labels = labelsOf.get(channels);
  if (labels === undefined) {
    const how = { cpu: new Set<string>(), gpu: new Set<string>(), ram: new Set<string>() };
    for (const ch of channels) how[ch.component].add(`${ch.source} (${ch.measured ? 'measured' : 'estimate'})`);
    const label = (s: Set<string>): string => (s.size === 0 ? 'none' : [...s].join(' + '));
    labels = { cpu: label(how.cpu), gpu: label(how.gpu), ram: label(how.ram) };
    labelsOf.set(channels, labels);
  }
  return labels;
}

/** Sums channel energies (µJ, in channel order) per component, and says how each was measured. */
export function componentEnergy(channels: readonly ChannelInfo[], energyUj: ArrayLike<number>): ComponentEnergy {
  let cpuUj = 0;
  let gpuUj = 0;
  let ramUj = 0;
  for (let i = 0; i < channels.length; i++) {
    const c = channels[i]!.component;
    if (c === 'cpu') cpuUj += energyUj[i]!;
    else if (c === 'gpu') gpuUj += energyUj[i]!;
    else ramUj += energyUj[i]!;
  }
  const labels = sourceLabels(channels);
  return { cpuUj, gpuUj, ramUj, cpuSource: labels.cpu, gpuSource: labels.gpu, ramSource: labels.ram };
}
