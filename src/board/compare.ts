// What the same energy would emit elsewhere (countries, a cloud provider's regions) and the harness reports, for the page.
import type { EnergyBenchReport } from '../bench/index.js';
import { countryTable, regionTable } from '../emissions/data.js';
import { intensityFor } from '../emissions/intensity.js';

/** Every country's intensity, for the map and the comparison table. */
export interface WorldView {
  readonly worldAverageGCo2ePerKwh: number;
  readonly countries: readonly {
    readonly iso3: string; readonly name: string; readonly gCo2ePerKwh: number; readonly year: number;
    /** Share of the country's generation per source, % (CodeCarbon's energy-mix map); null without a total. */
    readonly mixPercent: Readonly<Record<(typeof mixSources)[number], number>> | null;
  }[];
}

/** The sources CodeCarbon's energy-mix map offers. */
export const mixSources = ['fossil', 'hydroelectricity', 'nuclear', 'solar', 'wind'] as const;

/** A provider's regions with what the project's energy would have emitted in each, and CodeCarbon's sentence. */
export interface CloudView {
  readonly provider: string;
  readonly region: string;
  readonly energyKwh: number;
  readonly regions: readonly { readonly region: string; readonly gCo2ePerKwh: number; readonly kg: number; readonly detail: string }[];
  readonly recommendation: string;
}

/** A country's regions (US states, Canadian provinces) with what the same energy would emit in each. */
export interface RegionalView {
  readonly country: string;
  readonly energyKwh: number;
  readonly regions: readonly { readonly name: string; readonly code: string; readonly gCo2ePerKwh: number; readonly kg: number; readonly year: number | null }[];
}

/** One benchmark task's figures per operation. */
export interface BenchTaskView {
  readonly name: string;
  readonly runs: number;
  /** Null when no operation of the task completed. */
  readonly joulesPerOp: number | null;
  readonly gCo2ePerOp: number | null;
  readonly dynamicJoulesPerOp: number | null;
  readonly spreadJoulesPerOp: number | null;
  readonly measured: boolean;
  readonly final: boolean;
  readonly notes: string;
  readonly sources: string;
}

/** A harness report as the page shows it. */
export interface BenchView {
  readonly file: string;
  readonly intensity: { readonly gCo2ePerKwh: number; readonly detail: string; readonly dataset: string; readonly year: number | null };
  readonly baseline: { readonly watts: number; readonly spreadWatts: number; readonly slices: number } | null;
  readonly tasks: readonly BenchTaskView[];
}

const providerNames: Readonly<Record<string, string>> = { gcp: 'Google Cloud', aws: 'AWS', azure: 'Azure' };

/** The countries of CodeCarbon's table (Antarctica has no grid, as upstream's map leaves it out). */
export function worldView(): WorldView {
  const t = countryTable();
  return {
    worldAverageGCo2ePerKwh: t.worldAverageGCo2ePerKwh,
    countries: Object.entries(t.countries).filter(([iso3]) => iso3 !== 'ATA')
      .map(([iso3, c]) => {
        const total = c.mixTWh['total'] ?? 0;
        const mixPercent = total > 0 ? Object.fromEntries(mixSources.map((k) => [k, ((c.mixTWh[k] ?? 0) / total) * 100])) as Record<(typeof mixSources)[number], number> : null;
        return { iso3, name: c.name, gCo2ePerKwh: intensityFor({ countryIsoCode: iso3 }).gCo2ePerKwh, year: c.year, mixPercent };
      }),
  };
}

/**
 * CodeCarbon's regional comparison, for the two countries whose regions it has figures for: US
 * states (EPA eGRID 2016) and Canadian provinces (2023 mix); null for any other country.
 */
export function regionalView(iso3: string, energyKwh: number): RegionalView | null {
  const { usStates, canadaProvincesMix2023 } = regionTable();
  const names = iso3 === 'USA' ? Object.keys(usStates).filter((n) => n !== 'usa') : iso3 === 'CAN' ? Object.keys(canadaProvincesMix2023) : null;
  if (names === null) return null;
  const regions = names.map((name) => {
    const i = intensityFor({ countryIsoCode: iso3, region: name });
    return { name, code: usStates[name]?.code ?? name, gCo2ePerKwh: i.gCo2ePerKwh, kg: (energyKwh * i.gCo2ePerKwh) / 1000, year: i.year };
  }).sort((a, b) => a.kg - b.kg || a.name.localeCompare(b.name));
  return { country: iso3 === 'USA' ? 'the United States' : 'Canada', energyKwh, regions };
}

/** Kilograms with one decimal, as CodeCarbon's sentence has them, or grams when that would read 0.0 kg. */
function kgText(kg: number): string {
  return kg >= 0.05 ? `${kg.toFixed(1)} kg` : `${(kg * 1000).toPrecision(3)} g`;
}

/**
 * The provider's regions (Google's figures, or the grid where AWS and Azure regions are) with
 * `energyKwh`'s emissions in each, and CodeCarbon's recommendation: "Had this been run in <region>
 * region, then the emitted carbon would have been … Reducing the current emissions by …", or
 * "Already running on <provider>'s least emissions region <region>".
 */
export function cloudView(cloud: { provider: string; region: string }, energyKwh: number): CloudView {
  const provider = cloud.provider.toLowerCase();
  const { cloudRegions, cloudLocated } = regionTable();
  const keys = new Set([...Object.keys(cloudRegions), ...Object.keys(cloudLocated)].filter((k) => k.startsWith(`${provider}:`)));
  const regions = [...keys].flatMap((k) => {
    const region = k.slice(provider.length + 1);
    try {
      const i = intensityFor({ cloudProvider: provider, cloudRegion: region });
      return [{ region, gCo2ePerKwh: i.gCo2ePerKwh, kg: (energyKwh * i.gCo2ePerKwh) / 1000, detail: i.detail }];
    } catch {
      return [];
    }
  }).sort((a, b) => a.kg - b.kg || a.region.localeCompare(b.region));
  const current = regions.find((r) => r.region === cloud.region.toLowerCase());
  const best = regions[0];
  const name = providerNames[provider] ?? provider;
  let recommendation: string;
  if (best === undefined || current === undefined) {
    recommendation = `No intensity is known for ${name} region ${cloud.region}: no comparison.`;
  } else if (best.kg >= current.kg) {
    recommendation = `Already running on ${name}'s least emissions region ${current.region}.`;
  } else {
    recommendation = `Had this been run in ${best.region} region, then the emitted carbon would have been ${kgText(best.kg)}. `
      + `Reducing the current emissions by ${kgText(current.kg - best.kg)}.`;
  }
  return { provider, region: cloud.region, energyKwh, regions, recommendation };
}

/** A `codecarbon bench --json` report, per task and operation. */
export function benchView(file: string, r: EnergyBenchReport): BenchView {
  return {
    file,
    intensity: { gCo2ePerKwh: r.intensity.gCo2ePerKwh, detail: r.intensity.detail, dataset: r.intensity.dataset, year: r.intensity.year },
    baseline: r.baseline === null ? null : { watts: r.baseline.watts, spreadWatts: r.baseline.spreadWatts, slices: r.baseline.slices },
    tasks: r.tasks.map((t) => ({
      name: t.name, runs: t.runs, joulesPerOp: t.joulesPerOp, gCo2ePerOp: t.gCo2ePerOp,
      dynamicJoulesPerOp: t.dynamic?.joulesPerOp ?? null, spreadJoulesPerOp: t.dynamic?.spreadJoulesPerOp ?? null,
      measured: t.measured, final: t.final, sources: `cpu ${t.cpu.source}; gpu ${t.gpu.source}; ram ${t.ram.source}`,
      notes: [t.resolution === 'too-short' ? 'too short: estimate' : '', t.measured ? '' : 'estimated', t.final ? '' : 'provisional', t.note ?? '']
        .filter((n) => n !== '').join('; '),
    })),
  };
}
