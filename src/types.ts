// Public option types: CodeCarbon's configuration keys in camelCase.
import type { noDefaultOptions } from './config/keys.js';
import type { LoggingLogger } from './output/logger.js';
import type { Output } from './output/output.js';

/** Options of EmissionsTracker, OfflineEmissionsTracker and trackEmissions (CodeCarbon's keys in camelCase). */
export interface TrackerOptions {
  readonly projectName?: string;
  readonly experimentId?: string;
  readonly experimentName?: string;
  /** Seconds between measurement events (default 15). */
  readonly measurePowerSecs?: number;
  readonly apiCallInterval?: number;
  readonly apiEndpoint?: string;
  readonly apiKey?: string;
  /** Directory of the CSV files; must exist (default "."). */
  readonly outputDir?: string;
  readonly outputFile?: string;
  readonly outputMethods?: readonly string[] | string;
  readonly saveToFile?: boolean;
  readonly saveToApi?: boolean;
  readonly saveToLogger?: boolean;
  readonly saveToPrometheus?: boolean;
  readonly saveToLogfire?: boolean;
  /** The Pushgateway of the prometheus output: host:port or an http(s) URL (default localhost:9091). */
  readonly prometheusUrl?: string;
  /**
   * A scrape endpoint in this process (GET /metrics, Prometheus text format): `host:port`, or a
   * port on 127.0.0.1; null or "" for none (default). Served while a run is going on, whatever outputMethods says.
   */
  readonly prometheusListenAddress?: string | null;
  /** A webhook: the total record is POSTed there at every flush and stop (whatever outputMethods says). */
  readonly emissionsEndpoint?: string | null;
  /** The logger of the logger output (console, pino, winston…), or `{ logger, level }` (default level info). */
  readonly loggingLogger?: LoggingLogger | null;
  /** Your own outputs: objects with any of out(), liveOut(), taskOut(), exit(). */
  readonly outputHandlers?: readonly Output[];
  readonly gpuIds?: readonly string[] | string | null;
  readonly trackingMode?: 'machine' | 'process';
  /** Python logging's levels, as CodeCarbon takes them: a name in any case (warn, fatal, notset too) or a number. */
  readonly logLevel?: 'debug' | 'info' | 'warning' | 'warn' | 'error' | 'critical' | 'fatal' | 'notset' | (string & {}) | number;
  readonly loggerPreamble?: string;
  readonly onCsvWrite?: 'append' | 'update';
  readonly forceCpuPower?: number | null;
  readonly forceRamPower?: number | null;
  readonly forceModeCpuLoad?: boolean;
  readonly pue?: number;
  readonly wue?: number;
  readonly forceCarbonIntensityGCo2eKwh?: number | null;
  readonly electricitymapsApiToken?: string | null;
  readonly allowMultipleRuns?: boolean;
  readonly raplIncludeDram?: boolean;
  readonly raplPreferPsys?: boolean;
  /** ISO-3 code or English name of the country (offline trackers). */
  readonly countryIsoCode?: string | null;
  readonly region?: string | null;
  readonly cloudProvider?: string | null;
  readonly cloudRegion?: string | null;
  readonly country2letterIsoCode?: string | null;
  readonly organizationId?: string | null;
  readonly projectId?: string | null;
  /** Powercap root (default /sys/class/powercap). */
  readonly raplDir?: string;
  readonly nvmlLibrary?: string;
  /** How often each GPU's energy counter is read, in ms (default 1000; lengthened to keep it under 0.5 % of a core per GPU). */
  readonly gpuCounterPeriodMs?: number;
  /** How long one hardware read may take before the sampler is taken as stuck, ms (default 2000). */
  readonly sourceTimeoutMs?: number;
  /** Sampler period in ms while marks are made (default 100). */
  readonly samplePeriodMs?: number;
  /** The longest sampler period while no mark is made, ms (default 2000): an idle tracker costs little. */
  readonly idleSamplePeriodMs?: number;
  /** Samples kept in the sampler's ring (default 16,384). */
  readonly ringCapacity?: number;
  /** Where /proc and the cgroup v2 tree are (defaults /proc, /sys/fs/cgroup). */
  readonly procDir?: string;
  readonly cgroupDir?: string;
  readonly carbonIntensityDataset?: 'codecarbon' | 'ember';
  /** Task records kept one by one (default 100,000); later ones are folded into one row per name. */
  readonly taskRecordsKept?: number;
  /** Geolocation services of the online tracker (geojs, then ipinfo) and their timeout per request. */
  readonly geojsUrl?: string;
  readonly ipinfoUrl?: string;
  readonly locationTimeoutMs?: number;
  /** Where the found location is cached for 24 h; "" for no cache (default $XDG_CACHE_HOME/codecarbon/location.json). */
  readonly locationCacheFile?: string | null;
  /** The cloud metadata services (AWS, Azure, GCP) the online tracker asks, in parallel; "" to not ask. */
  readonly cloudMetadataUrl?: string;
  /** For each provider's answer (default 1000 ms). */
  readonly cloudMetadataTimeoutMs?: number;
  /** Electricity Maps API base URL (with electricitymapsApiToken). */
  readonly electricitymapsUrl?: string;
}

/** Options without a default: resolved, they may be null. */
type NoDefault = (typeof noDefaultOptions)[number];

/** An option's resolved type: lists arrive as arrays. */
type ResolvedValue<K extends keyof TrackerOptions> = K extends 'outputMethods' | 'gpuIds' ? readonly string[]
  : Exclude<TrackerOptions[K], undefined | null>;

/** Resolved options: every key has its value (from an argument, the environment, a file or the default); null only where there is no default. */
export type ResolvedOptions = { readonly [K in Exclude<keyof TrackerOptions, NoDefault>]-?: ResolvedValue<K> }
  & { readonly [K in NoDefault]-?: ResolvedValue<K> | null };
