// Configuration precedence: arguments > CODECARBON_* env > ./.codecarbon.config > ~/.codecarbon.config > defaults.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { closest, unusedRegion } from '../emissions/intensity.js';
import { configText, defaultSection, interpolate, readConfigSections } from './ini.js';
import { readBoolean, readNumber } from './values.js';
import { camel, keyAliases, keySpecs, logLevels, specByKey, specByOption, type KeyKind, type KeySpec } from './keys.js';

/** Every key's value after precedence, camelCased, with where each came from. */
export interface Resolved {
  readonly values: Readonly<Record<string, unknown>>;
  /** camelCase key → 'argument' | 'environment variable X' | a file path | 'default'. */
  readonly origins: Readonly<Record<string, string>>;
  /** Unknown keys in files or the environment, each with the closest known key; values that change nothing, with why. */
  readonly warnings: readonly string[];
}

/** A wrong value as a message shows it: objects (a logger, with cycles) by their shape, not their text. */
function shown(raw: unknown): string {
  if (typeof raw === 'number') return String(raw);
  if (Array.isArray(raw) && raw.some((v) => typeof v === 'object' && v !== null)) return `an array of ${raw.length}`;
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    return `an object with ${Object.keys(raw).slice(0, 5).join(', ') || 'no keys'}`;
  }
  return typeof raw === 'function' ? 'a function' : JSON.stringify(raw);
}

/** Reads one value for its key, from text (files, env) or typed (arguments). */
export function convert(spec: KeySpec, raw: unknown, origin: string): unknown {
  const name = origin === 'argument' ? camel(spec.key) : spec.key;
  const fail = (expected: string): never => {
    // JSON.stringify would show NaN and Infinity as null.
    throw new ConfigError(name, origin, `expected ${expected}, got ${shown(raw)}`);
  };
  // Only a key without a default takes null (none); resolveConfig() skips a null for the others.
  if (raw === null && spec.default === null) return null;
  const text = typeof raw === 'string' ? raw.trim() : raw;
  const k = spec.kind;
  switch (k.type) {
    case 'string':
      if (typeof text === 'string' && (text !== '' || k.nonEmpty !== true)) return text;
      return fail(k.nonEmpty === true ? 'a non-empty path' : 'a string');
    case 'level': {
      // As Python's logging: a known name in any case, or a number (a threshold of its own).
      if (typeof text === 'string' && text.toLowerCase() in logLevels) return text.toLowerCase();
      const n = readNumber(text);
      if (n !== undefined && Number.isInteger(n) && n >= 0) return n;
      return fail(`a log level: ${Object.keys(logLevels).join(', ')} (any case), or a number such as 30`);
    }
    case 'bool':
      return readBoolean(text) ?? fail('true or false (also 1/0, yes/no, on/off)');
    case 'enum':
      if (typeof text === 'string' && k.values.includes(text.toLowerCase())) return text.toLowerCase();
      return fail(`one of ${k.values.map((v) => `"${v}"`).join(', ')}`);
    case 'object':
      if (origin !== 'argument') throw new ConfigError(name, origin, `must be given in code (${k.expected}): a file or the environment cannot hold it`);
      return k.isValid(raw) ? raw : fail(k.expected);
    case 'list':
      return readList(spec.key, k, text, name, origin) ?? fail('a comma-separated list');
    case 'number':
    case 'int': {
      const n = readNumber(text);
      const min = k.min ?? -Infinity;
      const exclusive = k.type === 'number' && k.exclusiveMin === true;
      const max = k.max ?? Infinity;
      const ok = n !== undefined && (exclusive ? n > min : n >= min) && n <= max && (k.type === 'number' || Number.isInteger(n));
      if (ok) return n;
      return fail(`${k.type === 'int' ? 'an integer' : 'a number'} ${exclusive ? '>' : '>='} ${min}${max === Infinity ? '' : ` and <= ${max}`}`);
    }
  }
}

/**
 * A list's items from comma-separated text or an array, trimmed, empty ones dropped; undefined for
 * anything else. @throws ConfigError for an item that is none of the kind's values, with the nearest.
 */
function readList(key: string, k: Extract<KeyKind, { type: 'list' }>, text: unknown, name: string, origin: string): string[] | undefined {
  const items = typeof text === 'string' ? text.split(',') : Array.isArray(text) ? text.map(String) : undefined;
  if (items === undefined) return undefined;
  // gpu_ids as CodeCarbon reads it: only letters, digits and '-' count ('[0, 1]' is 0 and 1).
  const kept = (key === 'gpu_ids' ? items.map((s) => s.replace(/[^A-Za-z0-9-]/g, '')) : items).map((s) => s.trim()).filter((s) => s !== '');
  const known = k.values;
  const unknown = known === undefined ? undefined : kept.find((s) => !known.includes(s.toLowerCase()));
  if (known === undefined || unknown === undefined) return kept;
  // A typo must not choose nothing for that name, silently (output_methods = cvs: a run saved nowhere).
  const near = closest(unknown, known.map((v) => [v] as const), 1)[0]!;
  throw new ConfigError(name, origin, `unknown ${k.item ?? 'item'} ${JSON.stringify(unknown)} (did you mean "${near}"?); known: ${known.join(', ')}`);
}

/** A raw value (before interpolation) and where it was read. */
interface Setting {
  readonly raw: string;
  readonly origin: string;
}

/**
 * CodeCarbon's one configparser: both files read into it in turn, then the CODECARBON_* variables
 * into its `[codecarbon]` section. A later file's key replaces an earlier one in the same section;
 * a `[codecarbon]` key wins over a `[DEFAULT]` one whichever file each is in.
 */
class Parser {
  readonly defaults = new Map<string, Setting>();
  readonly own = new Map<string, Setting>();

  constructor(readonly warnings: string[]) {}

  /** A file's keys, each with its origin (`<path>, line N`, or `<path>, line N in [DEFAULT]`). */
  readFile(path: string): void {
    if (!existsSync(path)) return;
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new ConfigError('config file', path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? e}); fix its permissions or remove it`);
    }
    const { defaults, own } = readConfigSections(configText(bytes, path), path, (m) => this.warnings.push(m));
    for (const [key, { value, line }] of defaults) this.set(this.defaults, key, value, `${path}, line ${line} in [${defaultSection}]`);
    for (const [key, { value, line }] of own) this.set(this.own, key, value, `${path}, line ${line}`);
  }

  set(section: Map<string, Setting>, key: string, raw: string, origin: string): void {
    section.delete(key); // a key set again is listed (and warned about) where it was set last
    section.set(key, { raw, origin });
  }

  /** Every key of the merged `[codecarbon]` section, its own or inherited, with its raw value. */
  settings(): [string, Setting][] {
    return [...this.defaults].filter(([k]) => !this.own.has(k)).concat([...this.own]);
  }

  /** A key's value as the section gives it, interpolated (configparser's BasicInterpolation). */
  value(key: string, { raw, origin }: Setting): string {
    const lookup = (name: string): string | undefined => (this.own.get(name) ?? this.defaults.get(name))?.raw;
    const secret = (name: string | null): boolean => specByKey.get(keyAliases[name ?? key] ?? name ?? key)?.secret === true;
    return raw.includes('%') ? interpolate(raw, lookup, (problem) => {
      throw new ConfigError(key, origin, problem);
    }, secret) : raw;
  }
}

/** Options for where configuration comes from (tests point them at temp dirs). */
export interface ConfigSources {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly home?: string;
  /**
   * A command's own defaults (camelCase option → value), below every file, variable and argument:
   * `codecarbon monitor` tracks a command in process mode unless told otherwise.
   */
  readonly defaults?: Readonly<Record<string, unknown>>;
}

/**
 * Merges every source with CodeCarbon's precedence and converts each value to its type.
 * @throws ConfigError for an unknown argument or a value of the wrong form, naming the key and its origin.
 */
export function resolveConfig(args: Readonly<Record<string, unknown>>, sources: ConfigSources = {}): Resolved {
  // Before any file is read: options that are not an object are the caller's mistake, whatever the files say.
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new ConfigError('options', 'argument', `expected an object of options (e.g. { projectName: 'x' }) or nothing, got ${shown(args)}`);
  }
  const env = sources.env ?? process.env;
  const warnings: string[] = [];
  const parser = new Parser(warnings);
  const home = join(sources.home ?? homedir(), '.codecarbon.config');
  const local = join(sources.cwd ?? process.cwd(), '.codecarbon.config');
  parser.readFile(home);
  if (local !== home) parser.readFile(local);
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && name.toLowerCase().startsWith('codecarbon_')) {
      parser.set(parser.own, name.slice('codecarbon_'.length).toLowerCase(), value, `environment variable ${name}`);
    }
  }
  const values: Record<string, unknown> = { ...Object.fromEntries(keySpecs.map((s) => [camel(s.key), s.default])), ...sources.defaults };
  const origins: Record<string, string> = Object.fromEntries(keySpecs.map((s) => [camel(s.key), 'default']));
  const known = keySpecs.map((s) => [s.key] as const);
  for (const [rawKey, setting] of parser.settings()) {
    const key = keyAliases[rawKey] ?? rawKey;
    const spec = specByKey.get(key);
    if (spec === undefined) {
      // Not interpolated: its value is not used (CodeCarbon would fail on a stray '%' in it).
      warnings.push(`unknown configuration key "${rawKey}" in ${setting.origin} is ignored; did you mean "${closest(rawKey, known, 1)[0]}"?`);
      continue;
    }
    values[camel(key)] = convert(spec, parser.value(rawKey, setting), setting.origin);
    origins[camel(key)] = setting.origin;
  }
  for (const [name, raw] of Object.entries(args)) {
    if (!isGiven(name, raw)) continue;
    const spec = specByOption.get(name);
    if (spec === undefined) {
      // Options of the wrapper and the harness, not of a tracker: say where they go.
      const elsewhere = name === 'offline' ? '; for a tracker that never goes online use OfflineEmissionsTracker (offline is an option of '
        + 'trackEmissions() and attachEnergy())' : '';
      throw new ConfigError(name, 'argument', `unknown option; did you mean "${closest(name, [...specByOption.keys()].map((k) => [k] as const), 1)[0]}"?${elsewhere}`);
    }
    values[name] = convert(spec, raw, 'argument');
    origins[name] = 'argument';
  }
  warnings.push(...unusedValues(values, origins));
  return { values: Object.freeze(values), origins: Object.freeze(origins), warnings };
}

/**
 * Whether an argument gives option `name` a value. undefined does not; nor does null where a
 * default exists (as CodeCarbon's docstring says of None): the environment, a file or the default
 * applies. Upstream's code takes it as the value, which a PUE or a period cannot be; for a key
 * without a default (or an unknown name, refused by name) null is a value: none, overriding them.
 */
export function isGiven(name: string, raw: unknown): boolean {
  if (raw === undefined) return false;
  return raw !== null || (specByOption.get(name)?.default ?? null) === null;
}

/** What the resolved values say that changes nothing: a key this port has no use for, a region no table has. */
function unusedValues(values: Readonly<Record<string, unknown>>, origins: Readonly<Record<string, string>>): string[] {
  const warnings: string[] = [];
  for (const spec of keySpecs) {
    const name = camel(spec.key);
    if (spec.noEffect !== undefined && values[name] !== spec.default) {
      warnings.push(`${spec.key} = ${String(values[name])} (from ${origins[name]}) changes nothing in this port: ${spec.noEffect}`);
    }
  }
  const region = unusedRegion({ countryIsoCode: values['countryIsoCode'] as string | null, region: values['region'] as string | null,
    cloudProvider: values['cloudProvider'] as string | null, forceGCo2ePerKwh: values['forceCarbonIntensityGCo2eKwh'] as number | null });
  if (region !== null) {
    // Kept in the region column, as upstream writes it; said, as a typo there would change nothing.
    warnings.push(`region = ${String(values['region'])} (from ${origins['region']}) is not used for the carbon intensity: ${region}; `
      + 'the country\'s figure is used (the region column still says it, as CodeCarbon writes it); check region, or leave it out');
  }
  return warnings;
}

/**
 * Runs `fn` (a lookup that checks values it was handed, such as intensityFor()) and gives a
 * ConfigError it throws the origin the value really came from: a file and line, a variable or
 * the default, not "argument".
 */
export function attributed<T>(fn: () => T, origins: Readonly<Record<string, string>>): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof ConfigError) || e.origin !== 'argument') throw e;
    const origin = origins[camel(e.key)] ?? 'argument';
    throw new ConfigError(origin === 'argument' ? camel(e.key) : e.key, origin, e.detail);
  }
}
