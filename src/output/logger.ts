// The logger output: one structured record per out() and liveOut() on the user's logger (console,
// pino, winston or any object with info() or log()), at the level they pick.
import type { Output } from './output.js';
import type { EmissionsRecord } from './record.js';

/** What a logger needs: a method per level (pino, winston, console), or log() alone. */
export type LoggerLike = { info(...args: unknown[]): unknown } | { log(...args: unknown[]): unknown };

/** `logging_logger`: the logger, or the logger with the level its records are logged at (default info). */
export type LoggingLogger = LoggerLike | { readonly logger: LoggerLike; readonly level?: string };

export class LoggerOutput implements Output {
  readonly logger: LoggerLike;
  readonly level: string;

  constructor(given: LoggingLogger) {
    const wrapped = 'logger' in given && typeof given.logger === 'object' && given.logger !== null;
    this.logger = wrapped ? (given as { logger: LoggerLike }).logger : given as LoggerLike;
    this.level = (wrapped ? (given as { level?: string }).level : undefined) ?? 'info';
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
    const l = this.logger as Record<string, unknown>;
    const method = l[this.level];
    if (typeof method === 'function') return void method.call(l, entry);
    // A logger without a method of that name: winston's log(level, …), or console.log.
    const log = l['log'] as (...args: unknown[]) => unknown;
    return void (log.length >= 2 ? log.call(l, this.level, entry) : log.call(l, entry));
  }
}
