// Every configuration key CodeCarbon 3.3.0 reads (plus this port's own), with type and default.
import { graceMs } from '../emissions/geolocate.js';
import { defaultNvmlLibrary, defaultRaplDir } from '../sources/defaults.js';

/** How a key's text is read. */
export type KeyKind =
  | { readonly type: 'string'; readonly nonEmpty?: boolean }
  | { readonly type: 'number'; readonly min?: number; readonly exclusiveMin?: boolean; readonly max?: number }
  | { readonly type: 'int'; readonly min?: number; readonly max?: number }
  | { readonly type: 'bool' }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  /** Comma-separated text or an array; with `values`, each item must be one of them (any case), else the nearest is named. */
  | { readonly type: 'list'; readonly values?: readonly string[]; readonly item?: string }
  /** Python logging levels as CodeCarbon takes them: a name in any case (warn, fatal, notset too) or a number. */
  | { readonly type: 'level' }
  /** Objects given in code only (a logger, output handlers): a file or the environment cannot hold one. */
  | { readonly type: 'object'; readonly expected: string; readonly isValid: (v: unknown) => boolean };

export interface KeySpec {
  /** The INI / environment name (snake_case). */
  readonly key: string;
  readonly kind: KeyKind;
  readonly default: unknown;
  /** Read by the sampling engine (its options are a projection of these keys). */
  readonly engine?: true;
  /** Accepted, as upstream has it, but changes nothing in this port: why, said once when it is set. */
  readonly noEffect?: string;
  /** A secret: shown masked. */
  readonly secret?: true;
}

export { defaultNvmlLibrary, defaultRaplDir };

const str = { type: 'string' } as const;
const bool = { type: 'bool' } as const;
const list = { type: 'list' } as const;
/** A path: text that is not empty. */
const path = { type: 'string', nonEmpty: true } as const;
const positive = { type: 'number', min: 0, exclusiveMin: true } as const;
const nonNegative = { type: 'number', min: 0 } as const;
// Upper bounds past which a value cannot be meant and breaks the arithmetic or the timers: a timer
// longer than 2^31 - 1 ms fires at once (Node's TimeoutOverflowWarning); 1e308 W overflows to NaN.
const timerMs = { ...positive, max: 2 ** 31 - 1 } as const;
// A location lookup is waited for graceMs past its own time-out, in one timer: that sum must fit too.
const lookupMs = { ...positive, max: 2 ** 31 - 1 - graceMs } as const;
const watts = { ...positive, max: 1e6 } as const;
// A sampler period under 1 ms would keep its thread busy (and the ring rounds periods to whole ms).
const periodMs = { type: 'number', min: 1, max: 2 ** 31 - 1 } as const;
// The ring is one SharedArrayBuffer of 4 + 8 × (columns + 1) bytes a slot (ring.ts, layout.ts): 44 with
// a CPU and RAM, 700 with two sockets and 16 GPUs (energy, three counter columns and utilisation each).
// Its regions are rounded to cache lines in 32-bit arithmetic, so the samples must stay under 2 GiB,
// or the sampler thread cannot make the ring (at start(), long after construction). 2^21 slots keeps
// them so up to 126 columns (24 GPUs beside two sockets), is 128 times the default (58 hours of
// samples at 100 ms), and catches a typo's extra digits.
const ringSlots = { type: 'int', min: 2, max: 2 ** 21 } as const;
const oneOf = (...values: string[]): KeyKind => ({ type: 'enum', values });
const hasMethod = (v: unknown, ...names: string[]): boolean =>
  typeof v === 'object' && v !== null && names.some((n) => typeof (v as Record<string, unknown>)[n] === 'function');
const isLogger = (v: unknown): boolean => hasMethod(v, 'info', 'log')
  || (typeof v === 'object' && v !== null && hasMethod((v as { logger?: unknown }).logger, 'info', 'log'));
const outputHooks = ['out', 'liveOut', 'taskOut', 'exit', 'live_out', 'task_out'];
const areHandlers = (v: unknown): boolean => Array.isArray(v) && v.every((h) => hasMethod(h, ...outputHooks));

/** CodeCarbon 3.3.0's OutputMethod values, then this port's own (otel). */
export const outputMethodNames = ['csv', 'api', 'logger', 'prometheus', 'logfire', 'boamps', 'otel'] as const;

/** Upstream's defaults, key by key (CodeCarbon 3.3.0), then this port's own keys. */
export const keySpecs: readonly KeySpec[] = [
  { key: 'project_name', kind: str, default: 'codecarbon' },
  { key: 'experiment_id', kind: str, default: '5b0fa12a-3dd7-45bb-9766-cc326314d9f1' },
  { key: 'experiment_name', kind: str, default: 'base' },
  { key: 'measure_power_secs', kind: { ...positive, max: Math.floor((2 ** 31 - 1) / 1000) }, default: 15 },
  { key: 'api_call_interval', kind: { type: 'int', min: -1 }, default: 8 },
  { key: 'api_endpoint', kind: str, default: 'https://api.codecarbon.io' },
  { key: 'api_key', kind: str, default: 'api_key', secret: true },
  { key: 'output_dir', kind: str, default: '.' },
  { key: 'output_file', kind: path, default: 'emissions.csv' },
  { key: 'output_methods', kind: { type: 'list', values: outputMethodNames, item: 'output method' }, default: null },
  { key: 'save_to_file', kind: bool, default: true },
  { key: 'save_to_api', kind: bool, default: false },
  { key: 'save_to_logger', kind: bool, default: false },
  { key: 'save_to_prometheus', kind: bool, default: false },
  { key: 'save_to_logfire', kind: bool, default: false },
  { key: 'prometheus_url', kind: str, default: 'localhost:9091' },
  { key: 'emissions_endpoint', kind: str, default: null },
  { key: 'logging_logger', kind: { type: 'object', expected: 'a logger: an object with info() or log() (console, pino, winston), or { logger, level }', isValid: isLogger }, default: null },
  { key: 'output_handlers', kind: { type: 'object', expected: 'an array of objects with out(), liveOut(), taskOut() or exit()', isValid: areHandlers }, default: [] },
  { key: 'gpu_ids', kind: list, default: null, engine: true },
  { key: 'tracking_mode', kind: oneOf('machine', 'process'), default: 'machine', engine: true },
  { key: 'log_level', kind: { type: 'level' }, default: 'info' },
  { key: 'logger_preamble', kind: str, default: '' },
  { key: 'on_csv_write', kind: oneOf('append', 'update'), default: 'append' },
  { key: 'force_cpu_power', kind: watts, default: null, engine: true },
  { key: 'force_ram_power', kind: watts, default: null, engine: true },
  { key: 'force_mode_cpu_load', kind: bool, default: false, engine: true },
  { key: 'pue', kind: { ...positive, max: 100 }, default: 1 },
  { key: 'wue', kind: { ...nonNegative, max: 1000 }, default: 0 },
  { key: 'force_carbon_intensity_g_co2e_kwh', kind: { ...nonNegative, max: 1e5 }, default: null },
  { key: 'electricitymaps_api_token', kind: str, default: null, secret: true },
  { key: 'allow_multiple_runs', kind: bool, default: true },
  { key: 'rapl_include_dram', kind: bool, default: false,
    noEffect: 'RAPL dram domains are always measured here, as RAM (ram_source says rapl-dram), never added to the CPU; '
      + '`codecarbon detect` lists them' },
  { key: 'rapl_prefer_psys', kind: bool, default: false, engine: true },
  { key: 'country_iso_code', kind: str, default: null },
  { key: 'region', kind: str, default: null },
  { key: 'cloud_provider', kind: str, default: null },
  { key: 'cloud_region', kind: str, default: null },
  { key: 'country_2letter_iso_code', kind: str, default: null },
  { key: 'organization_id', kind: str, default: null },
  { key: 'project_id', kind: str, default: null },
  // This port's own keys.
  { key: 'rapl_dir', kind: path, default: defaultRaplDir, engine: true },
  { key: 'nvml_library', kind: path, default: defaultNvmlLibrary, engine: true },
  { key: 'sample_period_ms', kind: periodMs, default: 100, engine: true },
  { key: 'idle_sample_period_ms', kind: periodMs, default: 2000, engine: true },
  { key: 'gpu_counter_period_ms', kind: timerMs, default: 1000, engine: true },
  { key: 'source_timeout_ms', kind: timerMs, default: 2000, engine: true },
  { key: 'ring_capacity', kind: ringSlots, default: 16384, engine: true },
  { key: 'proc_dir', kind: path, default: '/proc', engine: true },
  { key: 'cgroup_dir', kind: path, default: '/sys/fs/cgroup', engine: true },
  { key: 'carbon_intensity_dataset', kind: oneOf('codecarbon', 'ember'), default: 'codecarbon' },
  { key: 'task_records_kept', kind: { type: 'int', min: 0 }, default: 100_000 },
  { key: 'geojs_url', kind: str, default: 'https://get.geojs.io/v1/ip/geo.json' },
  { key: 'ipinfo_url', kind: str, default: 'https://ipinfo.io/json' },
  { key: 'location_timeout_ms', kind: lookupMs, default: 2000 },
  { key: 'location_cache_file', kind: str, default: null },
  { key: 'electricitymaps_url', kind: str, default: 'https://api.electricitymaps.com' },
  { key: 'cloud_metadata_url', kind: str, default: 'http://169.254.169.254' },
  { key: 'cloud_metadata_timeout_ms', kind: lookupMs, default: 1000 },
  { key: 'prometheus_listen_address', kind: str, default: null },
];

/** Old names still read, as upstream reads them. */
export const keyAliases: Readonly<Record<string, string>> = { co2_signal_api_token: 'electricitymaps_api_token' };

/** snake_case key → camelCase option (`force_carbon_intensity_g_co2e_kwh` → `forceCarbonIntensityGCo2eKwh`). */
export const camel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export const specByKey: ReadonlyMap<string, KeySpec> = new Map(keySpecs.map((s) => [s.key, s]));
export const specByOption: ReadonlyMap<string, KeySpec> = new Map(keySpecs.map((s) => [camel(s.key), s]));

/** Python's logging levels by name (CodeCarbon's log_level), aliases included. */
export const logLevels: Readonly<Record<string, number>> = {
  notset: 0, debug: 10, info: 20, warn: 30, warning: 30, error: 40, fatal: 50, critical: 50,
};

/** The options whose default is none (null once resolved); the key table's null defaults, checked by a test. */
export const noDefaultOptions = ['outputMethods', 'emissionsEndpoint', 'loggingLogger', 'gpuIds', 'forceCpuPower', 'forceRamPower',
  'forceCarbonIntensityGCo2eKwh', 'electricitymapsApiToken', 'countryIsoCode', 'region', 'cloudProvider', 'cloudRegion',
  'country2letterIsoCode', 'organizationId', 'projectId', 'locationCacheFile', 'prometheusListenAddress'] as const;
