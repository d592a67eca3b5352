// The OpenTelemetry output: the run's figures as observable instruments on the application's global
// MeterProvider, through @opentelemetry/api only (the SDK, exporters and Collector are the app's).
import type { BatchObservableCallback, Meter, Observable, ObservableCounter, ObservableGauge } from '@opentelemetry/api';
import { figuresOf, num, PowerWindow } from './figures.js';
import { otelApi } from './optional.js';
import type { Output, OutputWarn } from './output.js';
import type { EmissionsRecord, MetricRecord } from './record.js';

/** The instruments, once per meter (every run of the process observes through the same ones). */
interface Instruments {
  readonly energy: ObservableCounter;
  readonly emissions: ObservableCounter;
  readonly water: ObservableCounter;
  readonly power: ObservableGauge;
  readonly intensity: ObservableGauge;
  readonly all: readonly Observable[];
}

const byMeter = new WeakMap<Meter, Instruments>();

/** Names and units per OpenTelemetry's conventions: dotted lower-case names, UCUM units. */
function instrumentsOf(meter: Meter): Instruments {
  let i = byMeter.get(meter);
  if (i !== undefined) return i;
  const energy = meter.createObservableCounter('codecarbon.energy', { unit: 'J', description: 'Energy used since the run started, per component (PUE applied, as the CSV)' });
  const emissions = meter.createObservableCounter('codecarbon.emissions', { unit: 'g', description: 'Emissions since the run started (CO2eq)' });
  const water = meter.createObservableCounter('codecarbon.water', { unit: 'L', description: 'Water consumed since the run started (from wue)' });
  const power = meter.createObservableGauge('codecarbon.power', { unit: 'W', description: 'Mean power since the previous collection at least 1 s earlier (the run\'s mean at the first), per component' });
  const intensity = meter.createObservableGauge('codecarbon.carbon_intensity', { unit: 'g/(kW.h)', description: 'Carbon intensity in use (CO2eq)' });
  i = { energy, emissions, water, power, intensity, all: [energy, emissions, water, power, intensity] };
  byMeter.set(meter, i);
  return i;
}

/** A run being observed: where its callback is, and its final record once it has ended. */
interface Observing {
  readonly meter: Meter;
  readonly callback: BatchObservableCallback;
  readonly all: readonly Observable[];
  final: MetricRecord | null;
}

/**
 * Observes the run's record at every collection of the application's MeterProvider (no sampling:
 * the timeline as it stands), from start() to the run's end. Attributes: codecarbon.project,
 * codecarbon.experiment, codecarbon.run_id, and per component codecarbon.component and codecarbon.source.
 */
export class OtelOutput implements Output {
  readonly #read: () => MetricRecord | null;
  readonly #experimentName: string;
  readonly #warn: OutputWarn;
  #observing: Observing | null = null;
  #latest: EmissionsRecord | null = null;

  constructor(read: () => MetricRecord | null, experimentName: string, warn: OutputWarn) {
    this.#read = read;
    this.#experimentName = experimentName;
    this.#warn = warn;
  }

  /**
   * A run starts: its callback joins the global MeterProvider's meter (set up by the application
   * before this); without one, says once that nothing is exported.
   */
  runStart(): void {
    this.runEnd();
    const api = otelApi();
    if (api === null) {
      return this.#warn('missing', 'the otel output needs the package @opentelemetry/api, which is not installed: nothing is '
        + 'exported; install it (npm install @opentelemetry/api) with the SDK your application registers');
    }
    const meter = api.metrics.getMeter('codecarbon');
    // No MeterProvider registered: the API hands out its no-op meter, and every observation is dropped.
    if (meter === api.createNoopMeter()) {
      return this.#warn('no-provider', 'the otel output has no MeterProvider to report on: nothing is exported; register one '
        + 'before start(), e.g. metrics.setGlobalMeterProvider(new MeterProvider({ readers: [...] })) with @opentelemetry/sdk-metrics');
    }
    const i = instrumentsOf(meter);
    const window = new PowerWindow();
    this.#latest = null;
    const callback: BatchObservableCallback = (observer) => {
      const record = run.final ?? this.#read();
      if (run.final !== null) setImmediate(() => remove(run));
      if (record === null) return;
      const f = window.apply(figuresOf(record, this.#experimentName), num(record.pue));
      const labels = { 'codecarbon.project': f.project, 'codecarbon.experiment': f.experiment, 'codecarbon.run_id': f.runId };
      for (const p of f.parts) {
        const at = { ...labels, 'codecarbon.component': p.component, 'codecarbon.source': p.source };
        observer.observe(i.energy, p.energyJ, at);
        observer.observe(i.power, p.powerW, at);
      }
      observer.observe(i.emissions, f.emissionsG, labels);
      observer.observe(i.water, f.waterL, labels);
      observer.observe(i.intensity, f.intensityGPerKwh, { ...labels, 'codecarbon.intensity.source': f.intensitySource,
        'codecarbon.intensity.dataset': f.intensityDataset });
    };
    const run: Observing = { meter, callback, all: i.all, final: null };
    meter.addBatchObservableCallback(callback, i.all as Observable[]);
    this.#observing = run;
  }

  /** Keeps the last record handed out: the run's final figures, observed once more after it ends. */
  out(total: EmissionsRecord): void {
    this.#latest = total;
  }

  /**
   * The run has ended: its final record (stop()'s) goes out with the next collection, then the run
   * is no longer observed; a discarded run's callback goes at once.
   */
  runEnd(): void {
    const run = this.#observing;
    this.#observing = null;
    if (run === null) return;
    run.final = this.#latest;
    if (run.final === null) remove(run);
  }
}

function remove(run: Observing): void {
  run.meter.removeBatchObservableCallback(run.callback, run.all as Observable[]);
}
