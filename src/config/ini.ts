// Reads `.codecarbon.config` files: the `ini` package, plus what Python's configparser accepts and it does not.
import { createRequire } from 'node:module';
import { ConfigError } from '../errors.js';

let ini: { parse(text: string): Record<string, unknown> } | undefined;

/** The `ini` package, loaded when a config file exists (most runs have none: importing it costs ms). */
function parse(text: string): Record<string, unknown> {
  ini ??= createRequire(import.meta.url)('ini') as { parse(text: string): Record<string, unknown> };
  return ini.parse(text);
}

/**
 * The `[codecarbon]` section of an INI text, keys lower-cased, values as written. Accepts
 * `key: value` lines and `;`/`#` comment lines; a `;` or `#` inside a value is part of it.
 * @throws ConfigError naming the file and line of a line that is neither.
 */
export function parseConfigText(text: string, file: string): Record<string, string> {
  const lines = text.split(/\r?\n/).map((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith(';') || t.startsWith('#')) return '';
    if (t.startsWith('[')) return t;
    const eq = t.indexOf('=');
    const colon = t.indexOf(':');
    const sep = colon >= 0 && (eq < 0 || colon < eq) ? colon : eq;
    if (sep <= 0) {
      throw new ConfigError(`line ${i + 1}`, file, `expected "key = value" or "key: value", got ${JSON.stringify(t)}`);
    }
    const key = t.slice(0, sep).trim().toLowerCase();
    // ini would cut a value at ; or # (inline comments); configparser keeps them.
    const value = t.slice(sep + 1).trim().replace(/[\\;#]/g, (c) => `\\${c}`);
    return `${key} = ${value}`;
  });
  const section = parse(lines.join('\n'))['codecarbon'];
  if (typeof section !== 'object' || section === null) return {};
  // ini turns `true`/`false` into booleans; every value stays text until its key's type reads it.
  return Object.fromEntries(Object.entries(section).map(([k, v]) => [k, String(v)]));
}
