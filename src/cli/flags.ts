// What the commands' parsers share: reading a flag's value, and errors about options said in the
// command line's words (--country-iso-code, not countryIsoCode).
import { camel } from '../config/keys.js';
import { CodeCarbonError, ConfigError } from '../errors.js';

/**
 * The value after the flag at `args[i]`.
 * @throws CodeCarbonError (usage) when there is none, when it is `--` (the start of a command, not a
 * value), or when the flag was given before (one of the two would be dropped without a word).
 */
export function flagValue(args: readonly string[], i: number, help = ''): string {
  const v = args[i + 1];
  if (v === undefined || v === '--') throw new CodeCarbonError('ERR_CODECARBON_USAGE', `${args[i]} needs a value${help}`);
  // Parsers read left to right: an earlier one is the first time the flag is given.
  const first = args.indexOf(args[i]!);
  if (first < i) {
    throw new CodeCarbonError('ERR_CODECARBON_USAGE', `${args[i]} is given twice (${JSON.stringify(args[first + 1])}, then `
      + `${JSON.stringify(v)}): give it once`);
  }
  return v;
}

const escaped = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A ConfigError about options a command line set, in its words: the flag instead of the option
 * (`--tracking-mode (from command line): …`), and flag names instead of option names in the
 * message (config keys are left: they name what a config file may set). `flags` maps each option the command accepts to its flag; `given` are those the user set.
 * Other errors come back as they are.
 */
export function inFlagWords(e: unknown, flags: Readonly<Record<string, string>>, given: ReadonlySet<string>): unknown {
  // 'default': an option nobody set that had to be (an offline run without a location).
  if (!(e instanceof ConfigError) || (e.origin !== 'argument' && e.origin !== 'default')) return e;
  let rest = e.message.slice(`${e.key} (from ${e.origin}): `.length);
  for (const [option, flag] of Object.entries(flags)) {
    // camelCase names only: code's words (config keys stay, they are a config file's words; and
    // `region` is also an English word).
    if (/[A-Z]/.test(option)) rest = rest.replace(new RegExp(`(?<![\\w-])${escaped(option)}(?![\\w-])`, 'g'), flag);
  }
  const option = camel(e.key);
  const flag = flags[option];
  if (flag !== undefined && given.has(option)) return new ConfigError(flag, 'command line', rest);
  // An option the user did not give (an offline run without a location): the message alone.
  return new CodeCarbonError(e.code, rest);
}

/**
 * A warning about an option the command line set, in its words: `gpu_ids = 0 (from argument)` reads
 * `--gpu-ids 0 (from command line)`, `gpu_ids (from argument)` reads `--gpu-ids (from command line)`.
 * Options given otherwise (a config file, a variable) keep their key.
 */
export function warningInFlagWords(message: string, flags: Readonly<Record<string, string>>, given: ReadonlySet<string>): string {
  return message.replace(/\b([a-z][a-z0-9_]*)(?: = (.*?))? \(from argument\)/g, (all, key: string, value: string | undefined) => {
    const option = camel(key);
    const flag = flags[option];
    if (flag === undefined || !given.has(option)) return all;
    return `${flag}${value === undefined ? '' : ` ${value}`} (from command line)`;
  });
}
