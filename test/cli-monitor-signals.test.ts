// `codecarbon monitor` and signals: every signal that ends a process (SIGHUP and SIGQUIT too) ends
// the run with its row, in both modes, and reaches the command once (a Ctrl-C typed in a terminal
// reached it already); a signal while the row waits (a location lookup) cuts the wait short.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { constants } from 'node:os';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupsFromPs, groupsOf } from '../src/cli/signals.js';
import { parseCsv } from '../src/output/csv.js';
import { FakeRapl, tempDir } from './helpers/sysfs.js';
import { silentServer } from './helpers/servers.js';
import { noService } from './helpers/tracker.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const posix = process.platform !== 'win32';
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
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
  assert.match(m.err.text, /\n {2}written to emissions\.csv\n {2}cut short by a signal: the row has what was known then/);
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

/** Whether util-linux's script(1) is here: it runs a command on a terminal of its own (a pty). */
function hasScript(): boolean {
  try {
    return execFileSync('script', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('util-linux');
  } catch {
    return false;
  }
}
const onTerminal = { skip: !posix || !hasScript() && 'no util-linux script(1) to give monitor a terminal', timeout: 60_000 };

/**
 * codecarbon monitor `args` on a terminal of its own, in its foreground process group, through
 * script(1); what is typed goes to the terminal (\x03 is Ctrl-C), what the terminal shows
 * (monitor's and the command's output) comes out on stdout. A shell runs monitor and stays (it
 * lets the terminal's signals go, as a shell running a script waits them out): script(1) stops
 * itself when its own child is stopped, as monitor is in a test below.
 */
function inTerminal(t: TestContext, where: { dir: string; env: NodeJS.ProcessEnv }, args: string[]): Monitor & { type(keys: string): void } {
  const quoted = [process.execPath, cli, 'monitor', ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const proc = spawn('script', ['-qfec', `ulimit -c 0; trap '' INT QUIT; ${quoted}`, '/dev/null'], { cwd: where.dir, env: where.env, detached: true });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => proc.once('exit', (c, s) => r([c, s])));
  const closed = new Promise<void>((r) => proc.once('close', () => r()));
  const out = new Printed(proc.stdout);
  const err = new Printed(proc.stderr);
  const pids = out.when(/ready (\d+) under (\d+)/, closed).then((m) => [Number(m[1]), Number(m[2])], () => []);
  t.after(async () => {
    // The groups of the command (its sleep with it) and of monitor (the terminal's: the shell with
    // it), then script's. Never 0 or 1: kill(-0) would signal the tests' own group.
    const groups = [...(await Promise.race([pids, closed.then(() => [])])).map((pid) => groupsOf(pid)?.pgid), proc.pid];
    for (const group of new Set(groups)) {
      try {
        if (group !== undefined && group > 1) process.kill(-group, 'SIGKILL');
      } catch { /* gone */ }
    }
  });
  return { proc, exited, closed, out, err, printed: (re) => out.when(re, closed), type: (keys) => proc.stdin.write(keys) };
}

/** Resolves once `check()` holds, looking again every few ms: for a state the kernel sets on its own time. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

/** Process `pid`'s state: R, S, T (stopped)… */
function stateOf(pid: number): string {
  return /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
}

for (const [signal, key] of [['SIGINT', '\x03'], ['SIGQUIT', '\x1c']] as const) {
  test(`${signal} from the terminal (${key === '\x03' ? 'Ctrl-C' : 'Ctrl-\\'}) reaches the command once: monitor, in the group the terminal signals, does not send it again`, onTerminal, async (t) => {
    const where = place(t);
    const term = inTerminal(t, where, [...offline, '--log-level', 'debug', '--', '/bin/sh', fixture('ctrl-c.sh')]);
    const monitorPid = Number((await term.printed(/ready \d+ under (\d+)/))[1]);
    // Monitor is held stopped while the terminal signals its group, so that the command has taken
    // the terminal's signal before monitor could send one: sent again before the first is taken, a
    // signal is delivered once (pending signals do not queue), and a second one would go unseen.
    process.kill(monitorPid, 'SIGSTOP');
    await until(() => stateOf(monitorPid) === 'T');
    term.type(key);
    await term.printed(new RegExp(`${signal} 1`));
    process.kill(monitorPid, 'SIGCONT');
    // Once monitor has said what it did with the terminal's signal, SIGTERM (forwarded, always)
    // comes after whatever it sent: the command reports how many it had.
    await term.printed(new RegExp(`DEBUG\\] ${signal}: the terminal sent it to the command too`));
    process.kill(monitorPid, 'SIGTERM');
    assert.deepEqual(await term.exited, [0, null], term.out.text);
    await term.closed;
    assert.match(term.out.text, new RegExp(`SIGTERM after ${signal === 'SIGINT' ? '1 SIGINT, 0 SIGQUIT' : '0 SIGINT, 1 SIGQUIT'}`));
    assert.equal(where.rows().length, 1);
  });
}

test('Ctrl-C in the terminal when the command has left monitor\'s process group (setsid): monitor sends it on, once', onTerminal, async (t) => {
  const where = place(t);
  const term = inTerminal(t, where, [...offline, '--', 'setsid', '/bin/sh', fixture('ctrl-c.sh')]);
  const monitorPid = Number((await term.printed(/ready \d+ under (\d+)/))[1]);
  term.type('\x03');
  await term.printed(/SIGINT 1/);
  process.kill(monitorPid, 'SIGTERM');
  assert.deepEqual(await term.exited, [0, null], term.out.text);
  await term.closed;
  assert.match(term.out.text, /SIGTERM after 1 SIGINT, 0 SIGQUIT/);
});

test('SIGINT sent to monitor alone, out of any terminal: monitor sends it on to the command, once', options, async (t) => {
  const where = place(t);
  const m = monitor(t, where, [...offline, '--', '/bin/sh', fixture('ctrl-c.sh')]);
  await m.printed(/ready \d+ under \d+/);
  m.proc.kill('SIGINT');
  await m.printed(/SIGINT 1/);
  m.proc.kill('SIGTERM');
  assert.deepEqual(await m.exited, [0, null], m.err.text);
  await m.closed;
  assert.match(m.out.text, /SIGTERM after 1 SIGINT, 0 SIGQUIT/);
  assert.equal(where.rows().length, 1);
});

test('a process\'s groups from ps, where there is no /proc, are those /proc gives', { skip: !existsSync('/proc/self/stat') }, () => {
  const fromProc = groupsOf(process.pid);
  assert.ok(fromProc !== null && fromProc.pgid > 0);
  assert.deepEqual(groupsFromPs(process.pid), fromProc);
  assert.equal(groupsFromPs(2 ** 22 + 1), null); // above pid_max: no such process
});
