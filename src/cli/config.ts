// `codecarbon config [--json]`: every key as a tracker here would resolve it, its value and where
// it came from, so a user can see why the tracker does what it does. Secrets are masked.
import { camel, keySpecs } from '../config/keys.js';
import { resolveConfig, type Resolved } from '../config/resolve.js';
import { defaultCacheFile } from '../emissions/location.js';
import { CodeCarbonError, ConfigError } from '../errors.js';
import { choiceWarnings, hideCredentials } from '../output/select.js';
import { EmissionsTracker, type ResolvedOptions } from '../tracker.js';
import { configUsage } from './usage.js';

/** A secret as shown: its last 4 characters when it is long enough to keep them hidden. */
export function mask(value: string): string {
  return value.length >= 12 ? `****${value.slice(-4)}` : '****';
}

/** Keys whose value is a URL, which may carry a user:password. */
const urlKeys = new Set(['api_endpoint', 'emissions_endpoint', 'prometheus_url']);

/** The resolved configuration, key by key: value (masked when secret) and origin. */
export function configRows({ values, origins }: Resolved = resolveConfig({})): { key: string; value: unknown; origin: string }[] {
  return keySpecs.filter((s) => s.kind.type !== 'object').map((s) => {
    // A default the tracker works out itself is shown as it will be, not as "(none)".
    const v = s.key === 'location_cache_file' && (values[camel(s.key)] ?? null) === null ? defaultCacheFile() : values[camel(s.key)];
    const secret = s.secret === true && typeof v === 'string' && origins[camel(s.key)] !== 'default';
    // A URL's user:password (a webhook's, a Pushgateway's) is as secret as a key.
    return { key: s.key, value: secret ? mask(v) : typeof v === 'string' && urlKeys.has(s.key) ? hideCredentials(v) : v ?? null,
      origin: origins[camel(s.key)] ?? 'default' };
  });
}

/** `codecarbon config …`; resolves to the exit status. */
export async function config(args: string[]): Promise<number> {
  const bad = args.find((a) => a !== '--json' && a !== '-h' && a !== '--help');
  if (bad !== undefined) throw new CodeCarbonError('ERR_CODECARBON_USAGE', `unknown option for config: ${bad}\n\nUsage:\n${configUsage}`);
  if (args.includes('-h') || args.includes('--help')) {
    console.log(`Usage: codecarbon\n${configUsage}`);
    return 0;
  }
  const resolved = resolveConfig({});
  const rows = configRows(resolved);
  // What a tracker built here would say at its start: the files' and variables' keys, then the outputs chosen.
  const warnings = [...resolved.warnings, ...choiceWarnings(resolved.values as unknown as ResolvedOptions, resolved.origins)];
  const refused = refusal();
  if (args.includes('--json')) {
    console.log(JSON.stringify({ schema: 1, keys: rows, warnings, error: refused?.message ?? null }, null, 2));
    return refused === null ? 0 : 2;
  }
  const width = Math.max(...rows.map((r) => r.key.length));
  // One line per key: a value holding a line break or tab (a config file's continuation line) is quoted.
  const line = (t: string): string => (/[\r\n\t]/.test(t) ? JSON.stringify(t) : t);
  const shown = (v: unknown): string => (v === null ? '(none)' : v === '' ? '""' : line(Array.isArray(v) ? v.join(',') : String(v)));
  const valueWidth = Math.min(40, Math.max(...rows.map((r) => shown(r.value).length)));
  // First and on stderr, as a tracker says them: a table piped through head or grep must not hide them.
  for (const w of warnings) console.error(`warning: ${w}`);
  for (const r of rows) console.log(`${r.key.padEnd(width)}  ${shown(r.value).padEnd(valueWidth)}  ${r.origin}`);
  // Last, after the table that shows the value and its origin: the run would not start.
  if (refused !== null) console.error(`codecarbon: a tracker here would refuse this configuration: ${refused.message}`);
  return refused === null ? 0 : 2;
}

/** The ConfigError a tracker built here (the online one, as code gets by default) throws, if any. */
function refusal(): ConfigError | null {
  try {
    new EmissionsTracker({ logLevel: 'critical' });
    return null;
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
}
