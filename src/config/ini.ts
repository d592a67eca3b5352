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

/** A key's raw value (before interpolation) and its first line. */
export interface RawEntry {
  readonly value: string;
  readonly line: number;
}

/** A file's `[DEFAULT]` and `[codecarbon]` keys as configparser holds them, before interpolation. */
export interface ConfigSections {
  readonly defaults: ReadonlyMap<string, RawEntry>;
  readonly own: ReadonlyMap<string, RawEntry>;
}

/**
 * A file's `[DEFAULT]` and `[codecarbon]` sections as configparser reads them: keys lower-cased,
 * values as written (a `;` or `#` inside a value is part of it), indented lines continuing the value
 * above (joined with '\n'). A file with sections but none named `codecarbon` is warned about
 * (configparser ignores it silently), its [DEFAULT] keys aside: CodeCarbon's merged configuration
 * still inherits them.
 * @throws ConfigError naming the file and line of a line that is not `key = value`, `key: value`,
 * a section header or a comment, of a line before any section header, and of a section or a key
 * given twice (configparser's strict mode refuses those).
 */
export function readConfigSections(text: string, file: string, warn: (message: string) => void = () => {}): ConfigSections {
  const sections = readSections(text, file);
  const named = [...sections.lines.keys()].filter((s) => s !== defaultSection);
  if (!sections.entries.has('codecarbon') && named.length > 0) {
    const defaults = sections.entries.get(defaultSection)!.size > 0 ? ' (its [DEFAULT] section\'s keys still apply)' : '';
    warn(`${file} has no [codecarbon] section (it has ${named.map((s) => `[${s}]`).join(', ')}): its settings are `
      + `ignored${defaults}; put them under a line "[codecarbon]" (section names are case-sensitive)`);
  }
  const raw = (section: string): Map<string, RawEntry> => new Map([...sections.entries.get(section) ?? []]
    .map(([key, { line, parts }]) => [key, { value: parts.join('\n').trimEnd(), line }]));
  return { defaults: raw(defaultSection), own: raw('codecarbon') };
}

/**
 * The `[codecarbon]` section of an INI text as configparser holds it before interpolation (its
 * `raw=True` view): the section's keys and the `[DEFAULT]` section's where it does not set them.
 * @throws ConfigError as readConfigSections().
 */
export function parseConfigText(text: string, file: string, warn: (message: string) => void = () => {}): Record<string, string> {
  const { defaults, own } = readConfigSections(text, file, warn);
  return Object.fromEntries([...defaults, ...own].map(([key, { value }]) => [key, value]));
}

/** configparser's MAX_INTERPOLATION_DEPTH. */
const maxInterpolationDepth = 10;

/**
 * A value as configparser's BasicInterpolation (ConfigParser's default, which CodeCarbon reads its
 * files and CODECARBON_* variables with) gives it: `%%` is a `%`, `%(name)s` the value of key
 * `name` (any case) as `lookup` finds it, itself interpolated, at most 10 references deep.
 * @throws ConfigError through `fail`, with what is wrong and the fix: a `%` followed by neither `%`
 * nor `(`, a `%(` without `)s`, a key that is not set, references 10 deep (a key that refers to itself).
 */
export function interpolate(value: string, lookup: (key: string) => string | undefined, fail: (problem: string) => never,
  secret: (key: string | null) => boolean = () => false): string {
  const out: string[] = [];
  const escape = 'write "%%" for a literal "%" (configparser\'s syntax, as CodeCarbon reads config files and CODECARBON_* variables)';
  const walk = (text: string, via: string[]): void => {
    let rest = text;
    // A secret's value (api_key, a token) is never quoted: the position alone says where it goes wrong.
    const hidden = secret(via.at(-1) ?? null);
    const at = (): string => `${hidden ? 'its value (a secret, not shown)' : JSON.stringify(text)}, at character ${text.length - rest.length + 1},`;
    const where = via.length === 0 ? '' : ` (in the value of "${via.at(-1)}", which it refers to${via.length > 1 ? ` through ${via.slice(0, -1).map((k) => `"${k}"`).join(', ')}` : ''})`;
    if (via.length >= maxInterpolationDepth) {
      fail(`refers through ${via.map((k) => `"${k}"`).join(' → ')}, ${maxInterpolationDepth} references deep (a key that refers to itself?); `
        + `give one of them a value of its own, or ${escape}`);
    }
    for (;;) {
      const p = rest.indexOf('%');
      if (p < 0) {
        out.push(rest);
        return;
      }
      out.push(rest.slice(0, p));
      rest = rest.slice(p);
      const c = rest.charAt(1);
      if (c === '%') {
        out.push('%');
        rest = rest.slice(2);
      } else if (c === '(') {
        const m = /^%\(([^)]+)\)s/.exec(rest);
        if (m === null) {
          fail(`${at()} has ${hidden ? 'a "%("' : `"${rest}"`}, not a reference "%(key)s"${where}; write "%(key)s" to use another key's value, or ${escape}`);
        }
        const name = m[1]!.toLowerCase();
        rest = rest.slice(m[0].length);
        const v = lookup(name);
        if (v === undefined) {
          fail(`refers to "%(${m[1]})s"${where}, but no key "${name}" is set in [codecarbon], [DEFAULT] or a CODECARBON_ variable; `
            + `set it, or ${escape}`);
        }
        if (v.includes('%')) walk(v, [...via, name]);
        else out.push(v);
      } else {
        fail(`${at()} has a "%" followed by neither "%" nor "("${where}; ${escape}`);
      }
    }
  };
  walk(value, []);
  return out.join('');
}
