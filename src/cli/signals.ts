// The signals codecarbon monitor catches (every one that ends a process): which reach the command
// from monitor, the exit status each gives, and one that cuts the end of a run short.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { exitSignals } from '../exit.js';
import type { EmissionsTracker } from '../tracker.js';

/** 128 + the signal's number: the status a shell gives a process the signal ended. */
export const signalStatus = (signal: NodeJS.Signals): number => 128 + (constants.signals[signal] ?? 0);

/**
 * Catches every signal that ends a process (SIGINT, SIGTERM, SIGHUP, SIGQUIT), from its creation
 * until close(), and hands each to the handler of the moment. While one is installed, no signal
 * ends monitor (Node does that only for a signal nobody listens for), however many come: the
 * row is written whatever the signal, and the command is not orphaned.
 */
export class SignalCatcher {
  #handler: (signal: NodeJS.Signals) => void = () => {};
  readonly #caught = (signal: NodeJS.Signals): void => this.#handler(signal);

  constructor() {
    for (const s of exitSignals) process.on(s, this.#caught);
  }

  /** From now on, signals go to `handler`. */
  route(handler: (signal: NodeJS.Signals) => void): void {
    this.#handler = handler;
  }

  close(): void {
    for (const s of exitSignals) process.off(s, this.#caught);
  }
}

/** A process's group, and the foreground group of its controlling terminal (-1 or 0 without one). */
export interface Groups {
  readonly pgid: number;
  readonly foreground: number;
}

/** From `ps` (macOS and the BSDs have no /proc); null when it cannot tell. */
export function groupsFromPs(pid: number): Groups | null {
  try {
    const out = execFileSync('ps', ['-o', 'pgid=,tpgid=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 });
    const [pgid = NaN, foreground = -1] = out.trim().split(/\s+/).map(Number);
    return pgid > 0 ? { pgid, foreground } : null;
  } catch {
    return null;
  }
}

/** The groups of process `pid` (a zombie's too, until it is reaped); null when they cannot be read. */
export function groupsOf(pid: number): Groups | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return existsSync('/proc/self/stat') ? null : groupsFromPs(pid);
  }
  // After the command's name, in parentheses and free to hold either: state ppid pgrp session tty_nr tpgid.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pgid: Number(f[2]), foreground: Number(f[5]) };
}

/**
 * Whether the command has already had `signal` from the terminal, so that monitor must not send it
 * again (a program that quits on a second Ctrl-C would quit at the first). The terminal sends
 * SIGINT (Ctrl-C) and SIGQUIT (Ctrl-\) to its whole foreground process group, and the command
 * is in monitor's group unless it left it: it is reached too when monitor's group is the
 * foreground one, as system(3) and time(1) assume. Node does not say who sent a signal, so a
 * signal sent to monitor's pid alone while it runs in a terminal's foreground is taken for the
 * terminal's too, and not forwarded (SIGTERM is, always; or signal the group: kill -INT -PGID). Out
 * of the foreground (a background job, no terminal: under a supervisor, in CI, after setsid),
 * nothing else sends the command the signal, and monitor does. On Windows the console's Ctrl-C
 * reaches every process attached to it, and no program can send another a SIGINT it can catch.
 */
export function fromTerminal(signal: NodeJS.Signals, childPid: number): boolean {
  if (signal !== 'SIGINT' && signal !== 'SIGQUIT') return false;
  if (process.platform === 'win32') return true;
  const own = groupsOf(process.pid);
  if (own === null || own.pgid !== own.foreground) return false;
  return groupsOf(childPid)?.pgid === own.pgid;
}

/**
 * Sends `signal` to the command, unless it has ended or had it from the terminal (fromTerminal());
 * `debug` is told which. SIGTERM and SIGHUP always go: no terminal key sends them, and one that
 * came to the whole group (a supervisor's, a closing session's) reaches the command twice, which
 * most programs end at the first of; left unsent, one sent to monitor alone would stop nothing:
 * the command would run on, and monitor with it.
 */
export function forward(child: ChildProcess, signal: NodeJS.Signals, debug: (message: string) => void): void {
  // Not reaped yet (so its pid is still its own) while exitCode and signalCode are null.
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  if (fromTerminal(signal, child.pid)) {
    debug(`${signal}: the terminal sent it to the command too (both run in its foreground process group): not sent again`);
  } else {
    child.kill(signal);
    debug(`${signal}: sent on to the command (pid ${child.pid})`);
  }
}

/** How long writing the row may wait (the location lookup, the last uploads) before monitor says so and a signal may cut it short. */
const patienceMs = 1000;

/**
 * Stops `tracker` and waits for its last uploads. Should that last over patienceMs, it says so, and
 * a signal from then on (a second Ctrl-C) ends the wait: the row is written at once with what is
 * known (finishNow(), which still ends the run at stop()'s mark). A signal before then is let go: one Ctrl-C under npx reaches monitor twice
 * (from the terminal, and forwarded by npm), and must not cut the uploads short. `before` goes
 * before what it says (a newline after the live line). Resolves to whether it was cut short.
 */
export async function stopPatiently(tracker: EmissionsTracker, signals: SignalCatcher, before = ''): Promise<boolean> {
  signals.route(() => {});
  let cut = (): void => {};
  const cutShort = new Promise<true>((r) => { cut = () => r(true); });
  const offer = setTimeout(() => {
    console.error(`${before}codecarbon: still writing the row (waiting for the location lookup or the last uploads); `
      + 'Ctrl-C again to write it now with what is known');
    signals.route(() => {
      tracker.finishNow(); // nothing to do when stop() has written it already
      cut();
    });
  }, patienceMs);
  try {
    return await Promise.race([tracker.stop().then(() => tracker.delivered()).then(() => false), cutShort]);
  } finally {
    clearTimeout(offer);
  }
}
