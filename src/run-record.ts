// What a run's record says besides its energy (location, machine, utilisation), and how its
// components are labelled when part of the figure is provisional or was not measured.
import type { ComponentEnergy, RecordContext } from './emissions/compute.js';
import type { Intensity } from './emissions/intensity.js';
import type { Whereabouts } from './emissions/whereabouts.js';
import { cpuPercentSince, packageVersion, platformString, ramUse, runtimeVersion } from './machine.js';
import type { HardwarePlan } from './sources/detect.js';
import { gpuModel } from './sources/gpu.js';
import type { CpuTimes } from './sources/proc.js';
import type { ResolvedOptions } from './tracker.js';

/** The context of a run's record at one moment. */
export function runContext(o: ResolvedOptions, run: {
  readonly runId: string; readonly intensity: Intensity; readonly where: Whereabouts; readonly plan: HardwarePlan;
  readonly gpuPercent: number | null; readonly cpu0: CpuTimes | null;
}): RecordContext {
  const { geo, cloud } = run.where;
  const { plan } = run;
  const ram = ramUse();
  return {
    timestamp: new Date(), projectName: o.projectName!, runId: run.runId, experimentId: o.experimentId!,
    trackingMode: o.trackingMode!, pue: o.pue!, wue: o.wue!, intensity: run.intensity,
    // As upstream: coordinates and the geolocated region only off the cloud.
    region: o.region ?? (cloud === null ? geo?.region : null) ?? '', latitude: cloud === null ? geo?.latitude ?? null : null,
    longitude: cloud === null ? geo?.longitude ?? null : null,
    cloudProvider: o.cloudProvider ?? cloud?.provider ?? '', cloudRegion: o.cloudRegion ?? cloud?.region ?? '',
    machine: {
      os: platformString(), runtime: runtimeVersion(), version: packageVersion(), cpuCount: plan.cpuInfo.threads,
      cpuModel: plan.cpuInfo.model ?? '', gpuCount: plan.gpus.tracked.length, gpuModel: gpuModel(plan.gpus), ramTotalGiB: plan.memTotalBytes / 1024 ** 3,
    },
    utilisation: {
      cpuPercent: cpuPercentSince(run.cpu0),
      gpuPercent: run.gpuPercent ?? 0, ramPercent: ram.percent, ramUsedGiB: ram.usedGiB,
    },
  };
}

/**
 * The components' sources as rows say them: a GPU figure after its last energy counter reading is
 * power-integrated until the next one (provisional); past a stuck sampler's last sample nothing
 * was measured (incomplete, every component).
 */
export function labelSources(energy: ComponentEnergy, provisionalGpu: boolean, stuck: boolean): ComponentEnergy {
  let { cpuSource, gpuSource, ramSource } = energy;
  if (provisionalGpu) gpuSource = `${gpuSource}, provisional (power since the last counter reading)`;
  if (stuck) {
    const note = ', incomplete (the sampler thread stopped answering)';
    [cpuSource, gpuSource, ramSource] = [cpuSource + note, gpuSource + note, ramSource + note];
  }
  return { ...energy, cpuSource, gpuSource, ramSource };
}
