// What a run's record says besides its energy (location, machine, utilisation), and how its
// components are labelled when part of the figure is provisional or was not measured.
import type { ComponentEnergy, RecordContext, RunSetting } from './emissions/compute.js';
import type { EmissionsRecord, MetricRecord } from './output/record.js';
import type { Intensity } from './emissions/intensity.js';
import type { Whereabouts } from './emissions/whereabouts.js';
import { cpuPercentSince, packageVersion, platformString, ramUse, runtimeVersion } from './machine.js';
import type { HardwarePlan } from './sources/detect.js';
import type { ChannelInfo, Component } from './sources/source.js';
import { gpuModel } from './sources/gpu.js';
import type { CpuTimes } from './sources/proc.js';
import type { ResolvedOptions } from './tracker.js';

/** The run as its records' setting reads it: its id, the intensity in use, where it runs and on what. */
interface RunFacts {
  readonly runId: string; readonly intensity: Intensity; readonly where: Whereabouts; readonly plan: HardwarePlan;
}

/** The run's setting as it stands (nothing read off /proc: a scrape's records take only this). */
export function runSetting(o: ResolvedOptions, run: RunFacts): RunSetting {
  const { geo, cloud } = run.where;
  const { plan } = run;
  return {
    projectName: o.projectName, runId: run.runId, experimentId: o.experimentId,
    trackingMode: o.trackingMode, pue: o.pue, wue: o.wue, intensity: run.intensity,
    // As upstream: coordinates and the geolocated region only off the cloud.
    region: o.region ?? (cloud === null ? geo?.region : null) ?? '', latitude: cloud === null ? geo?.latitude ?? null : null,
    longitude: cloud === null ? geo?.longitude ?? null : null,
    cloudProvider: o.cloudProvider ?? cloud?.provider ?? '', cloudRegion: o.cloudRegion ?? cloud?.region ?? '',
    machine: {
      os: platformString(), runtime: runtimeVersion(), version: packageVersion(), cpuCount: plan.cpuInfo.threads,
      cpuModel: plan.cpuInfo.model ?? '', gpuCount: plan.gpus.tracked.length, gpuModel: gpuModel(plan.gpus),
      // As upstream: a SLURM job's memory, not the node's.
      ramTotalGiB: Math.min(plan.memTotalBytes, plan.slurm?.memBytes ?? Infinity) / 1024 ** 3,
    },
  };
}

/** The context of a run's record at one moment: its setting, the time, and the machine's utilisation (read off /proc). */
export function runContext(o: ResolvedOptions, run: RunFacts & { readonly gpuPercent: number | null; readonly cpu0: CpuTimes | null }): RecordContext {
  const ram = ramUse();
  return {
    ...runSetting(o, run), timestamp: new Date(),
    utilisation: {
      cpuPercent: cpuPercentSince(run.cpu0),
      gpuPercent: run.gpuPercent ?? 0, ramPercent: ram.percent, ramUsedGiB: ram.usedGiB,
    },
  };
}

/** A component one of whose channels had no valid reading for a material part of a record's span. */
export interface Silence {
  readonly component: Component;
  /** The earliest last valid reading of its silent channels (the span's start for one that never read in it); NaN when none of its channels read in the span. */
  readonly lastMs: number;
}

/**
 * The components whose sources went silent in [t0, t1]: a channel whose last valid reading (a
 * source that could not be read: a /proc that hides the process, a counter file gone) is before
 * t0, or more than 1 % of the span before t1 (every record is read off a sample at or after its
 * end, where every channel that reads has read). Its energy there is missing, not zero: rows say
 * so rather than pass the 0 for a figure.
 */
export function silentComponents(channels: readonly ChannelInfo[], lastReadingMs: (c: number) => number,
  t0: number, t1: number): Silence[] {
  const slack = 0.01 * (t1 - t0);
  const by = new Map<Component, { earliest: number; readIn: boolean; silent: boolean }>();
  for (let c = 0; c < channels.length; c++) {
    const last = lastReadingMs(c);
    const { component } = channels[c]!;
    const s = by.get(component) ?? { earliest: Infinity, readIn: false, silent: false };
    by.set(component, s);
    if (last >= t0) s.readIn = true;
    if (last >= t1 - slack) continue;
    s.silent = true;
    s.earliest = Math.min(s.earliest, last >= t0 ? last : t0);
  }
  return [...by].filter(([, s]) => s.silent).map(([component, s]) => ({ component, lastMs: s.readIn ? s.earliest : Number.NaN }));
}

/**
 * The components' sources as rows say them: a GPU figure after its last energy counter reading is
 * power-integrated until the next one (provisional); past a stuck sampler's last sample nothing
 * was measured (incomplete, every component); a component in `stopped` had a source given up (its
 * reads stopped answering) before the row's end: incomplete, that one only; a component in
 * `silent` had a source without valid readings (not measured, or incomplete from its last one).
 */
export function labelSources(energy: ComponentEnergy, provisionalGpu: boolean, stuck: boolean,
  gone: { readonly stopped: readonly Component[]; readonly silent: readonly Silence[]; readonly t1: number } | null = null): ComponentEnergy {
  let { cpuSource, gpuSource, ramSource } = energy;
  if (provisionalGpu) gpuSource = `${gpuSource}, provisional (power since the last counter reading)`;
  if (stuck) {
    const note = ', incomplete (the sampler thread stopped answering)';
    [cpuSource, gpuSource, ramSource] = [cpuSource + note, gpuSource + note, ramSource + note];
    return { ...energy, cpuSource, gpuSource, ramSource };
  }
  const note = (c: Component): string => {
    if (gone === null) return '';
    if (gone.stopped.includes(c)) return ', incomplete (its reads stopped answering; energy after that is not measured)';
    const s = gone.silent.find((x) => x.component === c);
    if (s === undefined) return '';
    if (Number.isNaN(s.lastMs)) return ', not measured (no valid reading in this span: its energy is missing, not 0; see the warnings)';
    return `, incomplete (no valid reading in the last ${((gone.t1 - s.lastMs) / 1000).toFixed(1)} s: energy then is not measured)`;
  };
  return { ...energy, cpuSource: cpuSource + note('cpu'), gpuSource: gpuSource + note('gpu'), ramSource: ramSource + note('ram') };
}

/**
 * A run's emissions as upstream accounts them: each new slice of energy times the intensity of
 * its moment (which changes with Electricity Maps' live figures), not the whole run times the
 * latest figure. While the intensity has not changed, that is exactly energy × intensity.
 */
export class EmissionsBook {
  #kwh = 0;
  #kg = 0;
  /** How many figures applied to some energy, and the last of them (g/kWh). */
  #figures = 0;
  #g = NaN;

  restart(): void {
    this.#kwh = 0;
    this.#kg = 0;
    this.#figures = 0;
    this.#g = Number.NaN;
  }

  /** kg CO2eq of a run whose total so far is `kwh`, the part since the last booking at `g` g/kWh. */
  emissionsKg(kwh: number, g: number): number {
    if (this.#figures === 0 || (this.#figures === 1 && this.#g === g)) return (kwh * g) / 1000;
    return Math.max(0, this.#kg + ((kwh - this.#kwh) * g) / 1000);
  }

  /** Books the run's total so far at the intensity of now. */
  book(kwh: number, g: number): void {
    const kg = this.emissionsKg(kwh, g);
    if (kwh > this.#kwh && (this.#figures === 0 || g !== this.#g)) [this.#figures, this.#g] = [this.#figures + 1, g];
    [this.#kwh, this.#kg] = [kwh, kg];
  }

  /** The record (or its metric fields) with its emissions from the slices, saying so when more than one intensity applied. */
  apply<R extends EmissionsRecord | MetricRecord>(record: R): R {
    const g = Number(record.carbon_intensity_g_co2e_kwh);
    if (this.#figures === 0 || (this.#figures === 1 && g === this.#g)) return record;
    const kg = this.emissionsKg(Number(record.energy_consumed), g);
    const duration = Number(record.duration);
    const figures = this.#figures + (g === this.#g ? 0 : 1);
    return { ...record, emissions: kg, emissions_rate: duration > 0 ? kg / duration : 0,
      carbon_intensity_source: `${record.carbon_intensity_source} (the figure applied last; earlier energy at the figures of its time, `
        + `${figures} in all)` };
  }
}
