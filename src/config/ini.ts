// Reads `.codecarbon.config` files as Python's configparser (CodeCarbon's reader) reads them, with its defaults.
import { isUtf8 } from 'node:buffer';
import { ConfigError } from '../errors.js';

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

/** Where a key's value was read: its (first) line and its section, `codecarbon` or `DEFAULT`. */
export interface KeyPlace {
  readonly line: number;
  readonly section: string;
}

/** configparser's default_section: its keys are every section's unless the section sets them. */
export const defaultSection = 'DEFAULT';

/** A key being read: its lines so far (continuation lines and kept empty lines included). */
interface Entry { readonly line: number; readonly parts: string[] }

/** The sections of a file as configparser reads them, and configparser's strict checks. */
class Sections {
  readonly lines = new Map<string, number>();
  readonly entries = new Map<string, Map<string, Entry>>([[defaultSection, new Map()]]);
  current: string | null = null;

  constructor(readonly file: string) {}

  /** @throws ConfigError when the section already appeared (configparser's DuplicateSectionError; [DEFAULT] may reopen). */
  open(name: string, line: number): void {
    const first = this.lines.get(name);
    if (first !== undefined && name !== defaultSection) {
      throw new ConfigError(`section [${name}]`, this.file, `appears twice, on lines ${first} and ${line}; merge them into one`);
    }
    if (first === undefined) this.lines.set(name, line);
    if (!this.entries.has(name)) this.entries.set(name, new Map());
    this.current = name;
  }

  /**
   * A `key = value` line of the current section.
   * @throws ConfigError for a line before any section header (MissingSectionHeaderError) or a key set
   * twice in a section (DuplicateOptionError).
   */
  add(key: string, value: string, line: number, text: string): Entry {
    if (this.current === null) {
      throw new ConfigError(`line ${line}`, this.file, `${JSON.stringify(text)} comes before any section header; put a line "[codecarbon]" above it`);
    }
    const keys = this.entries.get(this.current)!;
    const first = keys.get(key);
    if (first !== undefined) {
      throw new ConfigError(key, this.file, `set twice in [${this.current}], on lines ${first.line} and ${line}; keep one of them`);
    }
    const entry = { line, parts: [value] };
    keys.set(key, entry);
    return entry;
  }
}

/** The number of leading whitespace characters (configparser's indent level: a tab counts one). */
const indentOf = (line: string): number => line.search(/\S|$/);

/** Reads every line into sections: configparser's RawConfigParser._read with ConfigParser's defaults. */
function readSections(text: string, file: string): Sections {
  const sections = new Sections(file);
  let entry: Entry | null = null;
  let indent = 0;
  text.replace(/^\ufeff/, '').split(/\r\n|\n|\r/).forEach((raw, i) => {
    const line = i + 1;
    const value = raw.trim();
    // Full-line comments only ('#' or ';' first): inline comment prefixes are off by default.
    if (value.startsWith('#') || value.startsWith(';')) return;
    if (value === '') {
      // empty_lines_in_values: an empty line is kept in the value, then dropped from its end.
      entry?.parts.push('');
      return;
    }
    const level = indentOf(raw);
    if (entry !== null && level > indent) {
      entry.parts.push(value);
      return;
    }
    indent = level;
    // configparser's section pattern: `[`, a name, and the line's last `]`.
    const close = value.lastIndexOf(']');
    if (value.startsWith('[') && close > 1) {
      sections.open(value.slice(1, close), line);
      entry = null;
      return;
    }
    // The first '=' or ':' ends the key (configparser's OPTCRE: a lazy key, either delimiter).
    const sep = value.search(/[=:]/);
    if (sections.current !== null && sep <= 0) {
      throw new ConfigError(`line ${line}`, file, `expected "key = value" or "key: value", got ${JSON.stringify(value)}`);
    }
    entry = sections.add(value.slice(0, Math.max(sep, 0)).trim().toLowerCase(), value.slice(sep + 1).trim(), line, value);
  });
  return sections;
}

/**
 * The `[codecarbon]` section of an INI text as configparser gives it: keys lower-cased, values as
 * written (a `;` or `#` inside a value is part of it), indented lines continuing the value above
 * (joined with '\n'), and the `[DEFAULT]` section's keys where `[codecarbon]` does not set them.
 * A file with sections but none named `codecarbon` is ignored with a warning (configparser ignores
 * it silently), its [DEFAULT] keys aside: CodeCarbon's merged configuration still inherits them.
 * `keyPlaces`, when given, takes each key's line and section.
 * @throws ConfigError naming the file and line of a line that is not `key = value`, `key: value`,
 * a section header or a comment, of a line before any section header, and of a section or a key
 * given twice (configparser's strict mode refuses those).
 */
export function parseConfigText(text: string, file: string, warn: (message: string) => void = () => {},
  keyPlaces?: Map<string, KeyPlace>): Record<string, string> {
  const sections = readSections(text, file);
  const named = [...sections.lines.keys()].filter((s) => s !== defaultSection);
  const own = sections.entries.get('codecarbon');
  if (own === undefined && named.length > 0) {
    const defaults = sections.entries.get(defaultSection)!.size > 0 ? ' (its [DEFAULT] section\'s keys still apply)' : '';
    warn(`${file} has no [codecarbon] section (it has ${named.map((s) => `[${s}]`).join(', ')}): its settings are `
      + `ignored${defaults}; put them under a line "[codecarbon]" (section names are case-sensitive)`);
  }
  const values: Record<string, string> = {};
  for (const section of [defaultSection, 'codecarbon']) {
    for (const [key, { line, parts }] of sections.entries.get(section) ?? []) {
      values[key] = parts.join('\n').trimEnd();
      keyPlaces?.set(key, { line, section });
    }
  }
  return values;
}
