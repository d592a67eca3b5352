// The logger output's level: CodeCarbon's (Python's) names on pino-, console- and winston-shaped
// loggers, each record reaching a method the logger has, and a level it cannot log at refused at construction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../src/errors.js';
import { LoggerOutput } from '../src/output/logger.js';
import type { EmissionsRecord } from '../src/output/record.js';
import { scriptedTracker } from './helpers/scripted.js';

/** A logger with these methods, each recording its name and arguments in `calls`. */
function recording(methods: readonly string[], calls: unknown[][]): Record<string, (...a: unknown[]) => void> {
  const logger: Record<string, (...a: unknown[]) => void> = {};
  for (const m of methods) if (m !== 'log2') logger[m] = (...a: unknown[]) => void calls.push([m, ...a]);
  // winston's log(level, message): two parameters, which is how a logger's log() is told from console.log(...data).
  if (methods.includes('log2')) logger['log'] = (level: unknown, entry: unknown) => void calls.push(['log', level, entry]);
  return logger;
}

const shapes = {
  pino: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'],
  console: ['debug', 'info', 'warn', 'error', 'trace', 'log'],
  winston: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly', 'log2'],
  'winston syslog': ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug', 'log2'],
} as const;

/** [shape, level asked, the call the record arrives by: method, then level for log(level, …)]. */
const cases: [keyof typeof shapes, string, string[]][] = [
  ['pino', 'debug', ['debug']], ['pino', 'info', ['info']], ['pino', 'warning', ['warn']], ['pino', 'WARNING', ['warn']],
  ['pino', 'warn', ['warn']], ['pino', 'error', ['error']], ['pino', 'critical', ['fatal']], ['pino', 'fatal', ['fatal']],
  ['console', 'warning', ['warn']], ['console', 'critical', ['error']], ['console', 'fatal', ['error']],
  ['winston', 'warning', ['warn']], ['winston', 'critical', ['error']], ['winston', 'notice', ['log', 'notice']],
  ['winston syslog', 'warning', ['warning']], ['winston syslog', 'warn', ['warning']], ['winston syslog', 'critical', ['crit']],
];

const record = { run_id: 'r', emissions: 1 } as unknown as EmissionsRecord;

for (const [shape, level, via] of cases) {
  test(`level ${level} on a ${shape}-shaped logger is logged by ${via[0]}()${via.length > 1 ? ` with level ${via[1]}` : ''}`, () => {
    const calls: unknown[][] = [];
    const output = new LoggerOutput({ logger: recording(shapes[shape], calls) as never, level });
    output.out(record);
    output.liveOut(record);
    assert.deepEqual(calls.map((c) => c.slice(0, -1)), [via, via]);
    assert.deepEqual(calls.map((c) => (c.at(-1) as Record<string, unknown>)['event']), ['out', 'live']);
  });
}

test('a level the logger has no method for, and no log(): a ConfigError at construction naming the level, its methods and the valid names', () => {
  const logger = recording(['debug', 'info', 'trace'], []);
  assert.throws(() => new LoggerOutput({ logger: logger as never, level: 'warning' }), {
    name: 'ConfigError',
    message: 'logging_logger.level (from argument): this logger has no method for level "warning" and no log() method '
      + '(its level methods: trace, debug, info); give one of debug, info, or a logger with a method for that level or log()',
  });
  assert.throws(() => new LoggerOutput({ logger: recording(['info', 'error'], []) as never, level: 'notice' }),
    { message: /no method for level "notice" .* give one of info, error, critical, fatal, or/ });
});

test('a tracker on a pino-shaped logger: warning and critical records reach warn() and fatal(), no warning; a level it lacks fails construction', async (t) => {
  const calls: unknown[][] = [];
  const pino = recording(shapes.pino, calls);
  for (const level of ['warning', 'critical']) {
    const { tracker, clock, warnings } = scriptedTracker(t, { loggingLogger: { logger: pino as never, level }, outputMethods: 'logger' });
    tracker.start();
    clock.advance(1000);
    await tracker.stop();
    assert.deepEqual(warnings, []);
  }
  assert.deepEqual(calls.map((c) => [c[0], (c[1] as Record<string, unknown>)['msg']]),
    [['warn', 'codecarbon emissions'], ['fatal', 'codecarbon emissions']]);
  const { info } = pino;
  assert.throws(() => scriptedTracker(t, { loggingLogger: { logger: { info } as never, level: 'critical' }, outputMethods: 'logger' }),
    (e: unknown) => e instanceof ConfigError && e.key === 'logging_logger.level' && /"critical"/.test(e.message));
});
