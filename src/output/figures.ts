// A run's record in the base units of metrics systems (J, g, L, W), with its labels: what the scrape
// endpoint and the OpenTelemetry output both expose, so that the two say the same figures.
import type { MetricRecord } from './record.js';

/** The components a record measures, as metric labels name them. */
export const components = ['cpu', 'gpu', 'ram'] as const;

/** A component label: cpu, gpu or ram. */
export type Component = (typeof components)[number];

/** One component's figures: energy so far (J, PUE applied, as the CSV), power (W, PUE not applied), and how it was measured. */
export interface ComponentFigures {
  readonly component: Component;
  readonly source: string;
  readonly energyJ: number;
  readonly powerW: number;
}

/** A run's figures so far, in base units, with the labels that name the run. */
export interface RunFigures {
  readonly project: string;
  /** experiment_name (the record has only experiment_id, a UUID no one reads on a dashboard). */
  readonly experiment: string;
  readonly experimentId: string;
  readonly runId: string;
  readonly durationS: number;
  readonly parts: readonly ComponentFigures[];
  readonly emissionsG: number;
  readonly waterL: number;
  readonly intensityGPerKwh: number;
  readonly intensitySource: string;
  readonly intensityDataset: string;
}

const joulesPerKwh = 3.6e6;

/** A record's number; anything not finite is 0 (an exposition has no room for '' or NaN). */
export function num(v: string | number | undefined): number {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
}

/**
 * A component's source without the notes a record adds for a while (`, provisional …`,
 * `, incomplete …`): a label that changed with them would split a counter into several series.
 */
export const stableSource = (source: string | number): string => String(source).split(', ')[0]!;

/** The figures of `record` (of a run of `experimentName`), powers as the record has them (the run's means). */
export function figuresOf(record: MetricRecord, experimentName: string): RunFigures {
  const parts = components.map((c) => ({
    component: c, source: stableSource(record[`${c}_source`]),
    energyJ: num(record[`${c}_energy`]) * joulesPerKwh, powerW: num(record[`${c}_power`]),
  }));
  return {
    project: String(record.project_name), experiment: experimentName, experimentId: String(record.experiment_id), runId: String(record.run_id),
    durationS: num(record.duration), parts, emissionsG: num(record.emissions) * 1000, waterL: num(record.water_consumed),
    intensityGPerKwh: num(record.carbon_intensity_g_co2e_kwh), intensitySource: String(record.carbon_intensity_source),
    intensityDataset: String(record.carbon_intensity_dataset),
  };
}

/** Below this, two readings are too close for a mean power worth showing: the previous mean stands. */
const minWindowS = 1;

/**
 * Current power per component: the mean since the previous reading at least a second older (the
 * run's mean at the first). A window of the reader's own readings, so reading costs no sampling;
 * with several scrapers it spans the time since whichever read last.
 */
export class PowerWindow {
  #prev: { durationS: number; energyJ: number[]; powerW: number[] } | null = null;

  /** `figures` with each power the mean over the window ending now (PUE taken back out, as records give powers). */
  apply(figures: RunFigures, pue: number): RunFigures {
    const energyJ = figures.parts.map((p) => p.energyJ);
    const prev = this.#prev;
    if (prev === null) {
      this.#prev = { durationS: figures.durationS, energyJ, powerW: figures.parts.map((p) => p.powerW) };
      return figures;
    }
    const dtS = figures.durationS - prev.durationS;
    let powerW = prev.powerW;
    if (dtS >= minWindowS) {
      const k = pue > 0 ? pue : 1;
      powerW = energyJ.map((e, i) => Math.max(0, e - prev.energyJ[i]!) / dtS / k);
      this.#prev = { durationS: figures.durationS, energyJ, powerW };
    }
    return { ...figures, parts: figures.parts.map((p, i) => ({ ...p, powerW: powerW[i]! })) };
  }
}
