// The logger output: one structured record per out() and liveOut() on the user's logger (console,
// pino, winston or any object with info() or log()), at the level they pick.
import { ConfigError } from '../errors.js';
import type { Output } from './output.js';
import type { EmissionsRecord } from './record.js';

/** What a logger needs: a method per level (pino, winston, console), or log() alone. */
export type LoggerLike = { info(...args: unknown[]): unknown } | { log(...args: unknown[]): unknown };

/** `logging_logger`: the logger, or the logger with the level its records are logged at (default info). */
export type LoggingLogger = LoggerLike | { readonly logger: LoggerLike; readonly level?: string };

/**
 * The methods a level may be logged with, first found first: its own name, then its kin in the
 * other loggers' words (Python's warning and critical; pino's warn and fatal; syslog's crit, as
 * winston's syslog levels have it), critical falling back to error where a logger has none above it.
 */
const kin: Readonly<Record<string, readonly string[]>> = {
  warning: ['warn'],
  warn: ['warning'],
  critical: ['fatal', 'crit', 'error'],
  fatal: ['critical', 'crit', 'error'],
};

/** The level names documented for logging_logger.level, CodeCarbon's (Python's) and pino's. */
const levelNames = ['debug', 'info', 'warning', 'warn', 'error', 'critical', 'fatal'] as const;

/** Methods named after levels in console, pino, winston (npm and syslog levels) and Python. */
const levelMethods = ['trace', 'debug', 'verbose', 'http', 'info', 'notice', 'warn', 'warning', 'error', 'crit',
  'critical', 'fatal', 'alert', 'emerg', 'silly', 'log'];

/** How a level is logged: by the logger's method of that name, or by its log() (winston's log(level, …), console.log). */
type Route = { readonly method: string } | { readonly viaLog: true };

/** The route for `level` on `logger`, or null when it has neither a method for the level nor log(). */
function routeOf(logger: Record<string, unknown>, level: string): Route | null {
  const lower = level.toLowerCase();
  const method = [level, lower, ...(kin[lower] ?? [])].find((m) => typeof logger[m] === 'function');
  if (method !== undefined) return { method };
  return typeof logger['log'] === 'function' ? { viaLog: true } : null;
}

/** Logs each record at the level asked, on the user's logger. */
export class LoggerOutput implements Output {
  readonly logger: LoggerLike;
  readonly level: string;
  readonly #route: Route;

  /**
   * @param origin where logging_logger came from, for the error (it can only be given in code).
   * @throws ConfigError (logging_logger.level) when the logger has neither a method for the level
   *   (by its name or its kin: warning/warn, critical/fatal/error) nor a log() method.
   */
  constructor(given: LoggingLogger, origin = 'argument') {
    const wrapped = 'logger' in given && typeof given.logger === 'object' && given.logger !== null;
    this.logger = wrapped ? (given as { logger: LoggerLike }).logger : given as LoggerLike;
    this.level = String((wrapped ? (given as { level?: string }).level : undefined) ?? 'info');
    const l = this.logger as Record<string, unknown>;
    const route = routeOf(l, this.level);
    if (route === null) {
      const has = levelMethods.filter((m) => typeof l[m] === 'function');
      const valid = levelNames.filter((n) => routeOf(l, n) !== null);
      const fix = valid.length > 0 ? `give one of ${valid.join(', ')}, or a logger with a method for that level or log()`
        : 'give a logger with a method per level (info(), warn(), …) or log()';
      throw new ConfigError('logging_logger.level', origin, `this logger has no method for level ${JSON.stringify(this.level)}`
        + ` and no log() method (its level methods: ${has.join(', ') || 'none'}); ${fix}`);
    }
    this.#route = route;
  }

  out(total: EmissionsRecord): void {
    this.#log('out', total);
  }

  liveOut(total: EmissionsRecord): void {
    this.#log('live', total);
  }

  /**
   * One object, the total record with a message: pino merges its fields into the line, winston
   * takes it as its info object, console prints it. As upstream, the total rather than the delta.
   */
  #log(event: 'out' | 'live', total: EmissionsRecord): void {
    const entry = { msg: `codecarbon ${event === 'live' ? 'live ' : ''}emissions`, message: `codecarbon ${event === 'live' ? 'live ' : ''}emissions`,
      event, ...total };
    const l = this.logger as Record<string, (...args: unknown[]) => unknown>;
    // Looked up at each call: pino swaps a level's method (for a no-op) when the logger's level changes.
    if ('method' in this.#route) return void l[this.#route.method]!.call(l, entry);
    const log = l['log']!;
    return void (log.length >= 2 ? log.call(l, this.level, entry) : log.call(l, entry));
  }
}
