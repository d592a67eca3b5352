// Reads `.codecarbon.config` files: the `ini` package, plus what Python's configparser accepts and refuses.
import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import { ConfigError } from '../errors.js';

let ini: { parse(text: string): Record<string, unknown> } | undefined;

/** The `ini` package, loaded when a config file exists (most runs have none: importing it costs ms). */
function parse(text: string): Record<string, unknown> {
  ini ??= createRequire(import.meta.url)('ini') as { parse(text: string): Record<string, unknown> };
  return ini.parse(text);
}

/**
 * A config file's bytes as text.
 * @throws ConfigError naming the file and the first line that is not UTF-8 text (or holds a NUL byte).
 */
export function configText(bytes: Buffer, file: string): string {
  if (isUtf8(bytes) && !bytes.includes(0)) return bytes.toString('utf8');
  let start = 0;
  for (let line = 1; ; line++) {
    const nl = bytes.indexOf(0x0a, start);
    const part = bytes.subarray(start, nl < 0 ? bytes.length : nl);
    // The whole file failed the check, so some line does: the last one at the latest.
    if (part.includes(0) || !isUtf8(part) || nl < 0) {
      throw new ConfigError('config file', file, `is not text (line ${line} ${part.includes(0) ? 'holds a NUL byte'
        : 'holds bytes that are not UTF-8'}); save it as UTF-8 text with a "[codecarbon]" section, or remove it`);
    }
    start = nl + 1;
  }
}

/** Where each section and each key of a section was first seen, for configparser's strict checks. */
class SeenLines {
  readonly sections = new Map<string, number>();
  readonly #keys = new Map<string, number>();
  #section: string | null = null;

  /** @throws ConfigError when the section already appeared (configparser's DuplicateSectionError). */
  section(name: string, line: number, file: string): void {
    const first = this.sections.get(name);
    if (first !== undefined) {
      throw new ConfigError(`section [${name}]`, file, `appears twice, on lines ${first} and ${line}; merge them into one`);
    }
    this.sections.set(name, line);
    this.#section = name;
  }

  /** @throws ConfigError for a line before any section header (configparser's MissingSectionHeaderError). */
  inSection(text: string, line: number, file: string): void {
    if (this.#section === null) {
      throw new ConfigError(`line ${line}`, file, `${JSON.stringify(text)} comes before any section header; put a line "[codecarbon]" above it`);
    }
  }

  /** @throws ConfigError for a key set twice in a section (configparser's DuplicateOptionError). */
  key(key: string, line: number, file: string): void {
    const id = `${this.#section}\n${key}`;
    const first = this.#keys.get(id);
    if (first !== undefined) {
      throw new ConfigError(key, file, `set twice in [${this.#section}], on lines ${first} and ${line}; keep one of them`);
    }
    this.#keys.set(id, line);
  }

  /** The line of `key` in section `section`. */
  lineOf(section: string, key: string): number | undefined {
    return this.#keys.get(`${section}\n${key}`);
  }
}

/**
 * The `[codecarbon]` section of an INI text, keys lower-cased, values as written. Accepts
 * `key: value` lines and `;`/`#` comment lines; a `;` or `#` inside a value is part of it. A file
 * with sections but none named `codecarbon` is ignored with a warning (configparser ignores it silently).
 * `keyLines`, when given, takes each key's line number.
 * @throws ConfigError naming the file and line of a line that is neither, of a line before any
 * section header, and of a section or a key given twice (configparser's strict mode refuses those).
 */
export function parseConfigText(text: string, file: string, warn: (message: string) => void = () => {},
  keyLines?: Map<string, number>): Record<string, string> {
  const seen = new SeenLines();
  const lines = text.split(/\r?\n/).map((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith(';') || t.startsWith('#')) return '';
    // configparser's section pattern: `[`, a name, and the line's last `]`.
    const close = t.lastIndexOf(']');
    if (t.startsWith('[') && close > 1) {
      seen.section(t.slice(1, close), i + 1, file);
      return t.slice(0, close + 1);
    }
    const eq = t.indexOf('=');
    const colon = t.indexOf(':');
    const sep = colon >= 0 && (eq < 0 || colon < eq) ? colon : eq;
    seen.inSection(t, i + 1, file);
    if (sep <= 0) {
      throw new ConfigError(`line ${i + 1}`, file, `expected "key = value" or "key: value", got ${JSON.stringify(t)}`);
    }
    const key = t.slice(0, sep).trim().toLowerCase();
    seen.key(key, i + 1, file);
    // ini would cut a value at ; or # (inline comments); configparser keeps them.
    const value = t.slice(sep + 1).trim().replace(/[\\;#]/g, (c) => `\\${c}`);
    return `${key} = ${value}`;
  });
  if (!seen.sections.has('codecarbon')) {
    if (seen.sections.size > 0) {
      warn(`${file} has no [codecarbon] section (it has ${[...seen.sections.keys()].map((s) => `[${s}]`).join(', ')}): `
        + 'its settings are ignored; put them under a line "[codecarbon]" (section names are case-sensitive)');
    }
    return {};
  }
  const section = parse(lines.join('\n'))['codecarbon'];
  if (typeof section !== 'object' || section === null) return {};
  // ini turns `true`/`false` into booleans; every value stays text until its key's type reads it.
  for (const k of Object.keys(section)) {
    const line = seen.lineOf('codecarbon', k);
    if (line !== undefined) keyLines?.set(k, line);
  }
  return Object.fromEntries(Object.entries(section).map(([k, v]) => [k, String(v)]));
}
