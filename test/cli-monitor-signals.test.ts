// `codecarbon monitor` and signals: every signal that ends a process (SIGHUP and SIGQUIT too) ends
// the run with its row, in both modes, and reaches the command.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { constants } from 'node:os';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv } from '../src/output/csv.js';
import { FakeRapl, tempDir } from './helpers/sysfs.js';
import { silentServer } from './helpers/servers.js';
import { noService } from './helpers/tracker.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const posix = process.platform !== 'win32';
const offline = ['--offline', '--country-iso-code', 'FRA'];
/** A test that would hang fails instead; monitor's process group is killed after it. */
const options = { skip: !posix, timeout: 60_000 };

/** A temp dir (HOME and cwd), fake RAPL, no network; removed after the test. */
function place(t: TestContext, env: Record<string, string> = {}) {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-mon-sig-');
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
    rapl.cleanup();
  });
  const rows = (): Record<string, string>[] => {
    const [header, ...body] = parseCsv(readFileSync(join(dir, 'emissions.csv'), 'utf8'));
    return body.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
  };
  return { dir, rows, env: { PATH: process.env['PATH'], HOME: dir, CODECARBON_RAPL_DIR: rapl.root, CODECARBON_GEOJS_URL: noService,
    CODECARBON_IPINFO_URL: noService, CODECARBON_LOCATION_CACHE_FILE: '', CODECARBON_CLOUD_METADATA_URL: noService, ...env } };
}

/** What a stream has printed so far, kept as it comes. */
class Printed {
  text = '';

  constructor(readonly stream: NodeJS.ReadableStream) {
    stream.on('data', (d: Buffer) => { this.text += d.toString(); });
  }

  /** The first match of `re` in what was printed, once there is one; rejects if the process ends first. */
  when(re: RegExp, closed: Promise<unknown>): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      // Added after the constructor's listener: `text` already holds the chunk when this runs.
      const check = (): void => {
        const m = this.text.match(re);
        if (m === null) return;
        this.stream.off('data', check);
        resolve(m);
      };
      this.stream.on('data', check);
      check();
      void closed.then(() => reject(new Error(`ended without printing ${re}:\n${this.text}`)));
    });
  }
}

interface Monitor {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** Once its output (the command's too) is closed: all it printed has been read. */
  readonly closed: Promise<void>;
  readonly out: Printed;
  readonly err: Printed;
  /** Resolves once stdout (the command's) or stderr (monitor's) has printed `re`. */
  printed(re: RegExp, on?: 'out' | 'err'): Promise<RegExpMatchArray>;
}

/**
 * codecarbon monitor `args` in a session of its own (no controlling terminal, whatever runs the
 * tests), with no core dumps (SIGQUIT's default makes one); its process group is killed after the test.
 */
function monitor(t: TestContext, where: { dir: string; env: NodeJS.ProcessEnv }, args: string[]): Monitor {
  const proc = spawn('/bin/sh', ['-c', 'ulimit -c 0; exec "$0" "$@"', process.execPath, cli, 'monitor', ...args],
    { cwd: where.dir, env: where.env, detached: true });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => proc.once('exit', (c, s) => r([c, s])));
  const closed = new Promise<void>((r) => proc.once('close', () => r()));
  t.after(() => {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch { /* all gone */ }
  });
  const out = new Printed(proc.stdout);
  const err = new Printed(proc.stderr);
  return { proc, exited, closed, out, err, printed: (re, on = 'out') => (on === 'out' ? out : err).when(re, closed) };
}

/** A command that prints its pid once running, then idles until a signal ends it. */
const idle = [process.execPath, '-e', 'console.log(`pid ${process.pid}`); setInterval(() => {}, 1000)'];

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

for (const signal of ['SIGHUP', 'SIGQUIT'] as const) {
  const status = 128 + constants.signals[signal];
  test(`${signal} to monitor running a command: it reaches the command, the row is written, exit ${status}`, options, async (t) => {
    const where = place(t);
    const m = monitor(t, where, [...offline, '--', ...idle]);
    const pid = Number((await m.printed(/pid (\d+)\n/))[1]);
    t.after(() => { if (alive(pid)) process.kill(pid, 'SIGKILL'); });
    m.proc.kill(signal);
    assert.deepEqual(await m.exited, [status, null], m.err.text);
    assert.equal(alive(pid), false, 'the command was left running');
    await m.closed;
    assert.match(m.err.text, /^codecarbon: .* ran \d+\.\d\d s/m);
    assert.equal(where.rows().length, 1);
  });

  test(`${signal} to monitor measuring the machine: the row is written, exit ${status}`, options, async (t) => {
    const where = place(t);
    const m = monitor(t, where, offline);
    await m.printed(/Ctrl-C to stop/, 'err'); // printed once its signal handlers are in place
    m.proc.kill(signal);
    assert.deepEqual(await m.exited, [status, null], m.err.text);
    await m.closed;
    assert.match(m.err.text, /codecarbon: the machine ran \d+\.\d\d s/);
    assert.equal(where.rows()[0]!['tracking_mode'], 'machine');
  });
}

/** A place whose location lookup is asked of a server that never answers, for longer than any test. */
async function unlocated(t: TestContext) {
  const lookup = await silentServer();
  t.after(() => lookup.close());
  return place(t, { CODECARBON_GEOJS_URL: lookup.url, CODECARBON_IPINFO_URL: lookup.url, CODECARBON_LOCATION_TIMEOUT_MS: '600000' });
}

/** What the report says of a row written at once, and the row's intensity: the world average, until the lookup answers. */
function assertCutShort(m: Monitor, row: Record<string, string> | undefined): void {
  assert.match(m.err.text, /\n {2}written to emissions\.csv\n {2}cut short by a signal: the row runs to it, with what was known then/);
  assert.match(row?.['carbon_intensity_source'] ?? '', /had not answered/);
}

test('without a command, a second SIGINT while the row waits for a location lookup: the row at once, with what is known; exit 130', options, async (t) => {
  const where = await unlocated(t);
  const m = monitor(t, where, []);
  await m.printed(/Ctrl-C to stop/, 'err');
  m.proc.kill('SIGINT');
  m.proc.kill('SIGINT'); // as npm forwards the one Ctrl-C that reached it too: let go, it neither ends monitor nor cuts the row short
  await m.printed(/Ctrl-C again to write it now with what is known\n/, 'err');
  m.proc.kill('SIGINT');
  assert.deepEqual(await m.exited, [130, null], m.err.text);
  await m.closed;
  assert.match(m.err.text, /codecarbon: the machine ran \d+\.\d\d s/);
  assertCutShort(m, where.rows()[0]);
});

test('a signal while the row of a command that has ended waits for a location lookup: the row at once; the command\'s exit code', options, async (t) => {
  const where = await unlocated(t);
  const m = monitor(t, where, ['--', process.execPath, '-e', 'process.exit(3)']);
  await m.printed(/Ctrl-C again to write it now with what is known\n/, 'err');
  m.proc.kill('SIGTERM');
  assert.deepEqual(await m.exited, [3, null], m.err.text);
  await m.closed;
  assertCutShort(m, where.rows()[0]);
});
